"""What the machine offers: the Hugging Face hub switch (:mod:`~ncnet.runtime.hub`), the torch
devices (:mod:`~ncnet.runtime.devices`) and optional extras with one-line errors
(:mod:`~ncnet.runtime.extras`)."""
