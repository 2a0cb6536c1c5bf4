"""autograd_core.onnx.export: models written as ONNX run in onnxruntime and give our forward's
values (to 1e-5), and PyTorch's from identical weights; unsupported ops are named."""

from __future__ import annotations

import io

import numpy as np
import pytest

import autograd_core as torch

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = torch.nn


def _session(model, args, **kwargs):
    buf = io.BytesIO()
    proto = torch.onnx.export(model, args, buf, **kwargs)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # no warnings about outputs declared with the traced size
    return ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"]), proto


def _check(model, *args, names=None, opset=None, dynamic=None, atol=1e-5):
    model.eval()
    names = names or [f"in{i}" for i in range(len(args))]
    sess, proto = _session(model, args, input_names=names, opset_version=opset, dynamic_axes=dynamic)
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})
    with torch.no_grad():
        want = model(*args)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape) and g.dtype == w.numpy().dtype
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=atol)
    return sess, proto


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 16), nn.GELU(),
                                 nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4), nn.LeakyReLU(0.2))
        self.out = nn.Linear(4, 3, bias=False)

    def forward(self, x):
        h = self.net(x)
        return nn.functional.softmax(self.out(torch.sigmoid(h) * 2.0 - h / 3.0 + 1), dim=-1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2, bias=False), nn.BatchNorm2d(8),
            nn.ReLU(), nn.AvgPool2d(2, padding=1, count_include_pad=False), nn.AvgPool2d(1, divisor_override=2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 2 * 2, 10), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.head(self.features(x))


class TextModel(nn.Module):
    """Embedding + LayerNorm + a little attention-like mixing; two outputs."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.norm = nn.LayerNorm(8)
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(16, 5)

    def forward(self, idx):
        h = self.norm(self.embed(idx))  # (B, T, 8)
        scores = torch.softmax(self.proj(h) @ h.transpose(1, 2) / 8 ** 0.5, dim=-1)
        mixed = torch.cat([h, scores @ h], dim=-1)  # (B, T, 16)
        logits = self.head(mixed)
        return logits, logits[:, -1].mean(dim=-1, keepdim=True), h.permute(2, 0, 1)[1:, :, ::2].sum(0)


def _randomize_norms(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_mlp(opset):
    torch.manual_seed(0)
    _check(MLP(), torch.randn(5, 6), opset=opset)


def test_cnn_against_our_forward_and_torch_from_identical_weights():
    torch.manual_seed(0)
    model = CNN()
    _randomize_norms(model)
    x = torch.randn(2, 3, 12, 12)
    sess, proto = _check(model, x, names=["image"])
    assert {i.name for i in proto.graph.initializer} >= {"features.0.weight", "features.1.running_var"}
    torch_real = pytest.importorskip("torch")

    class TorchCNN(torch_real.nn.Module):  # the same architecture in PyTorch
        def __init__(self):
            super().__init__()
            tnn = torch_real.nn
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2, bias=False), tnn.BatchNorm2d(8),
                tnn.ReLU(), tnn.AvgPool2d(2, padding=1, count_include_pad=False), tnn.AvgPool2d(1, divisor_override=2))
            self.head = tnn.Sequential(tnn.Flatten(), tnn.Linear(32, 10), tnn.LogSoftmax(dim=1))

        def forward(self, x):
            return self.head(self.features(x))

    theirs = TorchCNN().eval()
    theirs.load_state_dict({k: torch_real.tensor(v.numpy()) for k, v in model.state_dict().items()})
    with torch_real.no_grad():
        want = theirs(torch_real.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(sess.run(None, {"image": x.numpy()})[0], want, rtol=1e-5, atol=1e-5)


def test_embedding_layernorm_model_with_a_dynamic_batch():
    torch.manual_seed(0)
    model = TextModel()
    idx = torch.randint(0, 20, (2, 7))
    dynamic = {"idx": {0: "batch"}}
    sess, proto = _check(model, idx, names=["idx"], dynamic=dynamic)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    other = torch.randint(0, 20, (4, 7))  # another batch size runs through the same file
    with torch.no_grad():
        want = model(other)
    for g, w in zip(sess.run(None, {"idx": other.numpy()}), want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-5)


def test_dynamic_batch_through_flatten_and_a_file_path(tmp_path):
    torch.manual_seed(1)
    model = CNN().eval()
    path = tmp_path / "cnn.onnx"
    torch.onnx.export(model, (torch.randn(2, 3, 12, 12),), str(path), input_names=["x"], output_names=["logp"],
                      dynamic_axes={"x": [0], "logp": [0]})
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded)
    assert [o.name for o in loaded.graph.output] == ["logp"]
    x = torch.randn(3, 3, 12, 12)
    with torch.no_grad():
        want = model(x).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_gelu_tanh_slices_and_training_mode_restored():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 6)
            self.drop = nn.Dropout(0.9)

        def forward(self, x):
            y = nn.functional.gelu(self.drop(self.fc(x)), approximate="tanh")
            return y[..., 1:5:2], y[0], y[:, None, -2], y.reshape(3, 2, 6).view(6, 6).t() @ y.t()

    torch.manual_seed(0)
    model = Model().train()
    for opset in (18, 20):
        buf = io.BytesIO()
        torch.onnx.export(model, torch.randn(6, 4), buf, opset_version=opset)
        assert model.training  # export runs in eval mode and gives the mode back
    _check(model, torch.randn(6, 4), opset=18)
    _check(model, torch.randn(6, 4), opset=20)


def test_export_params_false_makes_parameters_inputs():
    model = nn.Linear(3, 2)
    proto = torch.onnx.export(model, torch.randn(1, 3), None, export_params=False, input_names=["x"])
    assert {i.name for i in proto.graph.input} == {"x", "weight", "bias"} and not proto.graph.initializer


def test_is_in_onnx_export():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.onnx.is_in_onnx_export())
            return x * 2

    Probe()(torch.ones(1))
    torch.onnx.export(Probe(), torch.ones(1))
    assert seen == [False, True] and not torch.onnx.is_in_onnx_export()


def test_errors_name_the_problem():
    class Cumulative(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 0)

    with pytest.raises(torch.onnx.UnsupportedOperatorError, match="Cumsum"):
        torch.onnx.export(Cumulative(), torch.randn(3), io.BytesIO())

    class Unused(nn.Module):  # what the outputs do not depend on is not translated
        def forward(self, x):
            torch.cumsum(x, 0)
            return x * 2

    assert [n.op_type for n in torch.onnx.export(Unused(), torch.randn(3)).graph.node] == ["Mul", "Identity"]
    assert issubclass(torch.onnx.UnsupportedOperatorError, RuntimeError)
    with pytest.raises(ValueError, match="opset_version=9"):
        torch.onnx.export(nn.Linear(2, 2), torch.randn(1, 2), io.BytesIO(), opset_version=9)
    with pytest.raises(torch.onnx.OnnxExporterError, match="inputs must be tensors"):
        torch.onnx.export(nn.Linear(2, 2), ([1.0, 2.0],), io.BytesIO())

    class Fancy(nn.Module):
        def forward(self, x):
            return x[torch.tensor([0, 2])] * 2

    with pytest.raises(torch.onnx.UnsupportedOperatorError):
        torch.onnx.export(Fancy(), torch.randn(3, 2, requires_grad=False), io.BytesIO())


class MoreOps(nn.Module):
    """The remaining common primitives in one forward: clamping activations, ELU, Softplus,
    SiLU, max/amax, var/std, stack, split, expand, clone, where, masked_fill."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.register_buffer("mask", torch.tensor([True, False, True, False, False, True]))

    def forward(self, x):
        h = self.fc(x)
        a = nn.functional.relu6(h * 4) + nn.functional.hardtanh(h, -0.5, 0.5) + h.clamp(min=-0.2)
        b = nn.functional.elu(h, 0.7) + nn.functional.selu(h) + nn.functional.softplus(h, beta=2.0, threshold=1.0)
        c = nn.functional.silu(h) + h.amax(1, keepdim=True) + h.max(dim=1, keepdim=True)[0]
        d = h.var(1, keepdim=True) + h.std(1, keepdim=True, correction=0) + h.var()
        left, right = h.split([2, 4], dim=1)
        e = torch.stack([left.sum(1), right.mean(1)], dim=1)[:, :1].expand(-1, 6).clone()
        f = torch.where(self.mask, a, b).masked_fill(self.mask, 0.25)
        return a + b + c + d + e + f, h.max(dim=1)[1]


def test_transformer_encoder_layer_and_one_d_layers():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, batch_first=True)
    _check(layer, torch.randn(2, 5, 8))
    one_d = nn.Sequential(nn.Conv1d(3, 4, 3, padding=2, dilation=2, stride=2), nn.MaxPool1d(2),
                          nn.AvgPool1d(2, padding=1))
    _check(one_d, torch.randn(2, 3, 17))


class PaddingMask(nn.Module):
    """A mask computed from the input (token 0 is padding): traced as operators, not frozen."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)

    def forward(self, idx):
        keep = (idx != 0) & ~(idx > 8) | (idx == 9)
        h = self.embed(idx).masked_fill(~keep.unsqueeze(-1), 0.0)
        count = keep.float().sum(1, keepdim=True)
        return h.sum(1) / count, (idx.float() >= 5.0).long()


def test_masks_computed_from_the_input_follow_the_input():
    torch.manual_seed(0)
    model = PaddingMask()
    sess, _ = _check(model, torch.tensor([[3, 9, 0, 0], [1, 2, 3, 4]]), names=["idx"], dynamic={"idx": [0]})
    other = torch.tensor([[0, 5, 6, 9], [7, 0, 1, 0], [2, 2, 2, 0]])  # another batch, other padding
    with torch.no_grad():
        want = model(other)
    for g, w in zip(sess.run(None, {"idx": other.numpy()}), want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-6)


@pytest.mark.parametrize("opset", [17, 18])
def test_more_ops(opset):
    torch.manual_seed(0)
    _check(MoreOps(), torch.randn(5, 4), opset=opset)
