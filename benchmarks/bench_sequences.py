"""W7: sequence layers, forward + backward, minnet against PyTorch CPU, one thread each.

    LSTM   batch 32, 50 steps, 128 inputs, 128 hidden (goal: minnet <= 2x torch)
    MHA    self-attention, batch 8, 128 positions, 4 heads of 64 (embed 256),
           need_weights=False in both (goal: minnet <= 1.5x torch)
    LM     one Adam training step of chapter 15's transformer language model: embedding,
           positions, 2 pre-norm blocks (d 64, 4 heads, GELU), LayerNorm, a linear head, cross-
           entropy over (N, V, T); batch 32, 32 characters, vocabulary 103 (goal: <= 2x torch)

Both frameworks start from the same weights and inputs; inputs (which require grad, as an
embedding's output would) and upstream gradients are made before the clock starts, so a
step is exactly the layer's forward and backward. One thread each, as the issue fixes:
numpy's BLAS through threadpoolctl, torch.set_num_threads(1).

    python -m benchmarks.bench_sequences
"""
import numpy as np

import minnet as mn
from benchmarks import _timing
from benchmarks._timing import interleaved_times, limit_blas_threads, print_header, report, try_import_torch

_timing.THREADS = 1          # the goals are for one thread each (see the docstring)


def copy_weights(torch, ours, theirs):
    """Give torch's module our weights (same names and layout: PyTorch's)."""
    parameters = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, p in ours.named_parameters():
            parameters[name].copy_(torch.from_numpy(p.data))


def layer_steps(torch, ours, theirs, x, upstream, call_ours, call_theirs):
    """Forward + backward of one layer from prepared inputs, in each framework."""
    x_ours = mn.Tensor(x, requires_grad=True)
    steps = {}

    def minnet_step():
        x_ours.grad = None
        ours.zero_grad()
        call_ours(ours, x_ours).backward(upstream)
    steps["minnet"] = minnet_step
    if torch is not None:
        x_theirs, upstream_theirs = torch.tensor(x, requires_grad=True), torch.from_numpy(upstream)

        def torch_step():
            x_theirs.grad = None
            theirs.zero_grad(set_to_none=True)
            call_theirs(theirs, x_theirs).backward(upstream_theirs)
        steps["torch"] = torch_step
    return steps


def lstm(torch, rng):
    print_header("W7 LSTM: batch 32, 50 steps, 128 -> 128, forward + backward, float32", torch)
    ours = mn.nn.LSTM(128, 128)
    theirs = torch.nn.LSTM(128, 128) if torch else None
    if torch:
        copy_weights(torch, ours, theirs)
    x = rng.standard_normal((50, 32, 128)).astype(np.float32)
    upstream = rng.standard_normal((50, 32, 128)).astype(np.float32)
    steps = layer_steps(torch, ours, theirs, x, upstream,
                        lambda m, x: m(x)[0], lambda m, x: m(x)[0])
    return report(interleaved_times(steps, repeats=15, inner=3), goal=2.0)


def attention(torch, rng):
    print_header("W7 MultiheadAttention: batch 8, 128 positions, 4 heads x 64, self-attention, "
                 "forward + backward, float32", torch)
    ours = mn.nn.MultiheadAttention(256, 4, batch_first=True)
    theirs = torch.nn.MultiheadAttention(256, 4, batch_first=True) if torch else None
    if torch:
        copy_weights(torch, ours, theirs)
    x = rng.standard_normal((8, 128, 256)).astype(np.float32)
    upstream = rng.standard_normal((8, 128, 256)).astype(np.float32)
    steps = layer_steps(torch, ours, theirs, x, upstream,
                        lambda m, x: m(x, x, x, need_weights=False)[0],
                        lambda m, x: m(x, x, x, need_weights=False)[0])
    return report(interleaved_times(steps, repeats=15, inner=3), goal=1.5)


VOCABULARY, WIDTH, HEADS, BLOCKS, LENGTH, BATCH = 103, 64, 4, 2, 32, 32    # chapter 15's sizes


class TinyLanguageModel(mn.nn.Module):
    """Embedding + positions -> pre-norm causal transformer blocks -> LayerNorm -> logits."""

    def __init__(self):
        self.embedding = mn.nn.Embedding(VOCABULARY, WIDTH)
        self.positions = mn.nn.PositionalEncoding(WIDTH, max_len=LENGTH)
        self.blocks = mn.nn.ModuleList(mn.nn.TransformerBlock(WIDTH, HEADS) for _ in range(BLOCKS))
        self.norm = mn.nn.LayerNorm(WIDTH)
        self.head = mn.nn.Dense(WIDTH, VOCABULARY)

    def forward(self, ids):
        x = self.positions(self.embedding(ids))
        for block in self.blocks:
            x = block(x, is_causal=True)
        return self.head(self.norm(x)).transpose(0, 2, 1)       # (N, V, T) for the loss


def torch_language_model(torch):
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCABULARY, WIDTH)
            self.register_buffer("table", torch.from_numpy(mn.nn.sinusoidal_positions(LENGTH, WIDTH)))
            self.blocks = torch.nn.ModuleList(
                torch.nn.TransformerEncoderLayer(WIDTH, HEADS, 4 * WIDTH, dropout=0.0, activation="gelu",
                                                 batch_first=True, norm_first=True)
                for _ in range(BLOCKS))
            self.norm = torch.nn.LayerNorm(WIDTH)
            self.head = torch.nn.Linear(WIDTH, VOCABULARY)
            self.mask = torch.nn.Transformer.generate_square_subsequent_mask(LENGTH)

        def forward(self, ids):
            x = self.embedding(ids) + self.table
            for block in self.blocks:
                x = block(x, src_mask=self.mask, is_causal=True)
            return self.head(self.norm(x)).transpose(1, 2)
    return Model()


def language_model(torch, rng):
    print_header(f"W7 LM training step: {BLOCKS} pre-norm blocks, d {WIDTH}, {HEADS} heads, batch "
                 f"{BATCH}, {LENGTH} characters, vocabulary {VOCABULARY}, Adam, float32", torch)
    ours = TinyLanguageModel()
    ids = rng.integers(0, VOCABULARY, (BATCH, LENGTH))
    targets = rng.integers(0, VOCABULARY, (BATCH, LENGTH))
    optimizer = mn.optim.Adam(ours.parameters(), lr=1e-3)
    loss_fn = mn.nn.CrossEntropyLoss()

    def minnet_step():
        optimizer.zero_grad()
        loss_fn(ours(ids), targets).backward()
        optimizer.step()
    steps = {"minnet": minnet_step}
    if torch is not None:
        theirs = torch_language_model(torch)
        renames = {}
        for i in range(BLOCKS):
            renames.update({f"blocks.{i}.mlp.0.weight": f"blocks.{i}.linear1.weight",
                            f"blocks.{i}.mlp.0.bias": f"blocks.{i}.linear1.bias",
                            f"blocks.{i}.mlp.2.weight": f"blocks.{i}.linear2.weight",
                            f"blocks.{i}.mlp.2.bias": f"blocks.{i}.linear2.bias"})
        parameters = dict(theirs.named_parameters())
        with torch.no_grad():
            for name, p in ours.named_parameters():
                array = p.data.T if name.endswith("weight") and ("mlp" in name or name == "head.weight") else p.data
                parameters[renames.get(name, name)].copy_(torch.from_numpy(np.ascontiguousarray(array)))
        torch_optimizer = torch.optim.Adam(theirs.parameters(), lr=1e-3)
        torch_loss = torch.nn.CrossEntropyLoss()
        ids_theirs, targets_theirs = torch.from_numpy(ids), torch.from_numpy(targets)
        # The same model in both: the first losses must agree before timing means anything.
        with mn.no_grad(), torch.no_grad():
            ours_loss = loss_fn(ours(ids), targets).item()
            theirs_loss = torch_loss(theirs(ids_theirs), targets_theirs).item()
        assert abs(ours_loss - theirs_loss) < 1e-4, (ours_loss, theirs_loss)
        print(f"  same model: initial loss {ours_loss:.5f} (minnet), {theirs_loss:.5f} (torch)")

        def torch_step():
            torch_optimizer.zero_grad()
            torch_loss(theirs(ids_theirs), targets_theirs).backward()
            torch_optimizer.step()
        steps["torch"] = torch_step
    return report(interleaved_times(steps, repeats=15, inner=3), goal=2.0)


def main():
    torch = try_import_torch()
    rng = np.random.default_rng(0)
    with limit_blas_threads(1):
        lstm(torch, rng)
        attention(torch, rng)
        language_model(torch, rng)


if __name__ == "__main__":
    main()
