"""Train JobBERT-V3-style job title encoders (title ↔ skill list, asymmetric anchor/positive head)."""

from model_training.config import TrainConfig, cpu_preset

__all__ = ["TrainConfig", "cpu_preset", "train"]


def train(cfg: TrainConfig, progress: bool = True):
    """Train with ``cfg`` and return the saved model folder (see :func:`model_training.trainer.train`)."""
    from model_training.trainer import train as _train

    return _train(cfg, progress=progress)
