"""ncnet: Bell/CHSH-type statistics in classical neural networks (arXiv 2603.04451)."""

__version__ = "0.1.0"
