"""``python -m ncnet``: the same command line as ``ncnet``."""

from ncnet.cli import app

if __name__ == "__main__":
    app(prog_name="ncnet")
