"""A character-level text generator: Embedding + LSTM + Linear, trained a few steps on a small
text, then sampled one character at a time.

Written in PyTorch's idiom; it runs unchanged with ``torch`` bound to PyTorch (replace
``autograd_core`` by ``torch`` in the imports). Sampling, as the usual char-RNN scripts do it:

* temperature T: p = softmax(logits / T) (T < 1 sharpens, T > 1 flattens);
* top-k: keep the k largest logits (``torch.topk``), renormalise, draw among them;
* the draw itself: ``torch.multinomial(p, 1)``; greedy decoding takes the argmax instead.

    python examples/text_generator.py --steps 60 --temperature 0.8 --top-k 5
"""

import argparse

import autograd_core as torch
from autograd_core import nn

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a small model learns which letter tends to follow which; "
    "it forgets the rest, and then it makes up words of its own. "
    "the lazy dog sleeps, the quick fox runs, and the model guesses on. "
)
CHARS = sorted(set(TEXT))
STOI = {c: i for i, c in enumerate(CHARS)}
VOCAB = len(CHARS)


def encode(s):
    return torch.tensor([STOI[c] for c in s], dtype=torch.long)


def decode(ids):
    return "".join(CHARS[i] for i in ids)


class CharModel(nn.Module):
    def __init__(self, vocab=VOCAB, embed=16, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.rnn(self.embed(x), state)
        return self.head(h), state


def batch(data, step, batch_size=8, seq_len=24):
    """Windows at fixed, spread-out offsets (no random draw: both libraries see the same data)."""
    span = len(data) - seq_len - 1
    starts = [(step * batch_size + i) * 37 % span for i in range(batch_size)]
    x = torch.stack([data[s:s + seq_len] for s in starts])
    y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts])
    return x, y


def train(model, steps=30, lr=0.01):
    data = encode(TEXT)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        x, y = batch(data, step)
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


def next_char_probs(logits, temperature=1.0, top_k=None):
    """The distribution to draw from: (candidate ids, their probabilities), one row per batch
    element. Without top-k the candidates are the whole vocabulary."""
    logits = logits / temperature
    if top_k is None:
        ids = torch.arange(logits.shape[-1]).expand(logits.shape[0], -1)
        return ids, torch.softmax(logits, dim=-1)
    values, ids = torch.topk(logits, top_k, dim=-1)
    return ids, torch.softmax(values, dim=-1)


def sample_next(logits, temperature=1.0, top_k=None, num_samples=1, generator=None):
    """Draw ``num_samples`` next characters per row (with replacement)."""
    ids, probs = next_char_probs(logits, temperature, top_k)
    picks = torch.multinomial(probs, num_samples, replacement=True, generator=generator)
    return ids.gather(-1, picks)


@torch.no_grad()
def generate(model, prompt, length=60, temperature=1.0, top_k=None, greedy=False, generator=None):
    model.eval()
    out = [STOI[c] for c in prompt]
    logits, state = model(encode(prompt)[None])
    for _ in range(length):
        last = logits[:, -1]
        if greedy:
            nxt = last.argmax(dim=-1, keepdim=True)
        else:
            nxt = sample_next(last, temperature, top_k, generator=generator)
        out.append(int(nxt.item()))
        logits, state = model(nxt, state)
    return decode(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    model = CharModel()
    losses = train(model, args.steps)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    print("greedy:", generate(model, "the ", greedy=True))
    print("top-k: ", generate(model, "the ", temperature=args.temperature, top_k=args.top_k))


if __name__ == "__main__":
    main()
