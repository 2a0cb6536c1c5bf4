"""``autograd_core.utils.data`` plays ``torch.utils.data``: datasets, samplers and the
`DataLoader` that turns a dataset into mini-batches for training.

>>> from autograd_core.utils.data import TensorDataset, DataLoader, random_split
>>> train, test = random_split(TensorDataset(x, y), [0.75, 0.25],
...                            generator=autograd_core.Generator().manual_seed(0))
>>> for xb, yb in DataLoader(train, batch_size=32, shuffle=True): ...
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
    "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler",
    "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
    "WorkerInfo", "default_collate", "default_convert", "get_worker_info", "random_split",
]
