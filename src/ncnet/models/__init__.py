"""The trained models: the batched NCnet trainer (:mod:`~ncnet.models.ncnet_trainer`), its
torch-free settings (:mod:`~ncnet.models.settings`) and the multi-task LoRA encoder of
Section 5 (:mod:`~ncnet.models.multitask`)."""
