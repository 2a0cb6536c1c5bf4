"""The local derivative rule of each backward node, as text and as LaTeX.

A node ``y = f(a, b, ...)`` receives ``g = dJ/dy`` and sends, along the edge of each
input ``a``, the contribution given by the chain rule:

.. math::  \\bar a = \\Big(\\frac{\\partial y}{\\partial a}\\Big)^{\\!\\top} g

`rule_for` names the local derivative ``dy/da`` and that contribution for the common
operations; any other node gets the generic "chain rule through <op>".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputRule", "LocalRule", "rule_for"]


@dataclass(frozen=True)
class InputRule:
    """What one input of a node receives: ``dy/da`` and the contribution sent to it."""

    symbol: str
    derivative: str
    derivative_latex: str
    sends: str
    sends_latex: str
    note: str = ""

    @property
    def text(self) -> str:
        note = f"  ({self.note})" if self.note else ""
        return f"{self.derivative};  sends {self.sends}{note}"


@dataclass(frozen=True)
class LocalRule:
    """The local rule of one node: its forward formula and one `InputRule` per input."""

    op: str
    forward: str
    forward_latex: str
    inputs: tuple
    generic: bool = False

    def for_input(self, index: int) -> InputRule | None:
        """The rule for forward input ``index`` (None for inputs without a rule)."""
        return self.inputs[index] if 0 <= index < len(self.inputs) else None

    @property
    def text(self) -> str:
        lines = [self.forward] + [r.text for r in self.inputs if r is not None]
        return "\n".join(lines)

    @property
    def latex(self) -> str:
        rows = [self.forward_latex]
        for r in self.inputs:
            if r is not None:
                rows.append(f"{r.derivative_latex} \\quad\\Rightarrow\\quad {_bar(r.symbol)} = {r.sends_latex}")
        return " \\\\ ".join(rows)


def _bar(symbol: str) -> str:
    return f"\\bar{{{symbol}}}"


def _inp(symbol, derivative, derivative_latex, sends, sends_latex) -> InputRule:
    return InputRule(symbol, derivative, derivative_latex, sends, sends_latex)


def _rule(op, forward, forward_latex, *inputs, generic=False) -> LocalRule:
    return LocalRule(op, forward, forward_latex, tuple(inputs), generic)


def _unary(op, f_text, f_latex, d_text, d_latex) -> LocalRule:
    """y = f(a): dy/da = f'(a), sends g * f'(a) elementwise (in terms of y where shorter)."""
    short, short_latex = d_text.rsplit(" = ", 1)[-1], d_latex.rsplit(" = ", 1)[-1]
    return _rule(op, f"y = {f_text}", f"y = {f_latex}",
                 _inp("a", f"dy/da = {d_text}", f"\\frac{{\\partial y}}{{\\partial a}} = {d_latex}",
                      f"g * {_paren(short)}", f"g \\odot {_paren(short_latex, latex=True)}"))


def _paren(expr: str, latex: bool = False) -> str:
    simple = expr.replace(".", "").replace("_", "").isalnum() or expr.startswith(("(", "\\frac"))
    if simple or (latex and expr.startswith("\\mathbb")):
        return expr
    return f"\\left({expr}\\right)" if latex else f"({expr})"


# ------------------------------------------------------------------------------ the rules
def _add(node, info):
    return _rule("add", "y = a + b", "y = a + b",
                 _inp("a", "dy/da = 1", "\\frac{\\partial y}{\\partial a} = 1", "g", "g"),
                 _inp("b", "dy/db = 1", "\\frac{\\partial y}{\\partial b} = 1", "g", "g"))


def _sub(node, info):
    return _rule("sub", "y = a - b", "y = a - b",
                 _inp("a", "dy/da = 1", "\\frac{\\partial y}{\\partial a} = 1", "g", "g"),
                 _inp("b", "dy/db = -1", "\\frac{\\partial y}{\\partial b} = -1", "-g", "-g"))


def _mul(node, info):
    return _rule("mul", "y = a * b", "y = a\\,b",
                 _inp("a", "d(ab)/da = b", "\\frac{\\partial (ab)}{\\partial a} = b", "g * b", "g \\odot b"),
                 _inp("b", "d(ab)/db = a", "\\frac{\\partial (ab)}{\\partial b} = a", "g * a", "g \\odot a"))


def _div(node, info):
    return _rule("div", "y = a / b", "y = \\frac{a}{b}",
                 _inp("a", "dy/da = 1/b", "\\frac{\\partial y}{\\partial a} = \\frac{1}{b}", "g / b",
                      "\\frac{g}{b}"),
                 _inp("b", "dy/db = -a/b^2", "\\frac{\\partial y}{\\partial b} = -\\frac{a}{b^2}",
                      "-g * a / b^2", "-\\frac{g\\,a}{b^2}"))


def _pow(node, info):
    exponent = info.get("exponent")
    if exponent is not None:  # a ** p with a number p
        p = _number(exponent)
        q = _number(exponent - 1)
        d_text = {"0": p, "1": f"{p}a"}.get(q, f"{p} a^{q}")
        d_latex = {"0": p, "1": f"{p}a"}.get(q, f"{p}\\,a^{{{q}}}")
        return _rule("pow", f"y = a^{p}", f"y = a^{{{p}}}",
                     _inp("a", f"dy/da = {d_text}", f"\\frac{{\\partial y}}{{\\partial a}} = {d_latex}",
                          f"g * {d_text}", f"g \\odot {d_latex}"))
    return _rule("pow", "y = a^b", "y = a^{b}",
                 _inp("a", "dy/da = b a^(b-1)", "\\frac{\\partial y}{\\partial a} = b\\,a^{b-1}",
                      "g * b a^(b-1)", "g \\odot b\\,a^{b-1}"),
                 _inp("b", "dy/db = a^b ln a", "\\frac{\\partial y}{\\partial b} = a^{b}\\ln a",
                      "g * a^b ln a", "g \\odot a^{b}\\ln a"))


def _number(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


_UNARY = {
    "Neg": ("-a", "-a", "-1", "-1"),
    "Exp": ("exp(a)", "e^{a}", "exp(a) = y", "e^{a} = y"),
    "Exp2": ("2^a", "2^{a}", "2^a ln 2", "2^{a}\\ln 2"),
    "Expm1": ("exp(a) - 1", "e^{a} - 1", "exp(a)", "e^{a}"),
    "Log": ("ln a", "\\ln a", "1/a", "\\frac{1}{a}"),
    "Log2": ("log2 a", "\\log_2 a", "1/(a ln 2)", "\\frac{1}{a \\ln 2}"),
    "Log10": ("log10 a", "\\log_{10} a", "1/(a ln 10)", "\\frac{1}{a \\ln 10}"),
    "Log1p": ("ln(1 + a)", "\\ln(1 + a)", "1/(1 + a)", "\\frac{1}{1 + a}"),
    "Sqrt": ("sqrt(a)", "\\sqrt{a}", "1/(2 sqrt(a)) = 1/(2y)", "\\frac{1}{2\\sqrt{a}} = \\frac{1}{2y}"),
    "Rsqrt": ("1/sqrt(a)", "a^{-1/2}", "-1/(2 a^(3/2))", "-\\frac{1}{2}a^{-3/2}"),
    "Reciprocal": ("1/a", "\\frac{1}{a}", "-1/a^2", "-\\frac{1}{a^2}"),
    "Square": ("a^2", "a^2", "2a", "2a"),
    "Abs": ("|a|", "|a|", "sign(a)", "\\operatorname{sign}(a)"),
    "Tanh": ("tanh(a)", "\\tanh a", "1 - tanh(a)^2 = 1 - y^2", "1 - \\tanh^2 a = 1 - y^2"),
    "Sigmoid": ("sigmoid(a) = 1/(1 + exp(-a))", "\\sigma(a) = \\frac{1}{1 + e^{-a}}",
                "sigmoid(a)(1 - sigmoid(a)) = y(1 - y)", "\\sigma(a)\\,(1 - \\sigma(a)) = y\\,(1 - y)"),
    "Relu": ("relu(a) = max(a, 0)", "\\max(a, 0)", "1 if a > 0 else 0", "\\mathbb{1}[a > 0]"),
    "LeakyReLU": ("a if a > 0 else s a", "\\max(a, s\\,a)", "1 if a > 0 else s",
                  "\\mathbb{1}[a>0] + s\\,\\mathbb{1}[a\\le 0]"),
    "ELU": ("a if a > 0 else alpha (exp(a) - 1)", "\\mathrm{elu}(a)", "1 if a > 0 else alpha exp(a)",
            "\\mathbb{1}[a>0] + \\alpha e^{a}\\,\\mathbb{1}[a\\le 0]"),
    "SiLU": ("a sigmoid(a)", "a\\,\\sigma(a)", "sigmoid(a)(1 + a (1 - sigmoid(a)))",
             "\\sigma(a)\\,(1 + a\\,(1 - \\sigma(a)))"),
    "Softplus": ("ln(1 + exp(a))", "\\ln(1 + e^{a})", "sigmoid(a)", "\\sigma(a)"),
    "LogSigmoid": ("ln sigmoid(a)", "\\ln \\sigma(a)", "1 - sigmoid(a)", "1 - \\sigma(a)"),
    "GELU": ("a Phi(a)", "a\\,\\Phi(a)", "Phi(a) + a phi(a)", "\\Phi(a) + a\\,\\varphi(a)"),
    "Hardtanh": ("clamp(a, lo, hi)", "\\operatorname{clamp}(a, l, h)", "1 if lo < a < hi else 0",
                 "\\mathbb{1}[l < a < h]"),
    "Clamp": ("clamp(a, lo, hi)", "\\operatorname{clamp}(a, l, h)", "1 if lo <= a <= hi else 0",
              "\\mathbb{1}[l \\le a \\le h]"),
    "Sin": ("sin a", "\\sin a", "cos a", "\\cos a"),
    "Cos": ("cos a", "\\cos a", "-sin a", "-\\sin a"),
    "Erf": ("erf(a)", "\\operatorname{erf}(a)", "2/sqrt(pi) exp(-a^2)", "\\frac{2}{\\sqrt{\\pi}} e^{-a^2}"),
}


def _identity_like(op, forward, forward_latex, sends, sends_latex, derivative="dy_i/da_i = 1"):
    def build(node, info):
        return _rule(op, forward, forward_latex,
                     _inp("a", derivative, "\\frac{\\partial y_i}{\\partial a_i} = 1", sends, sends_latex))
    return build


def _matmul(node, info):
    return _rule("matmul", "Y = A @ B", "Y = A B",
                 _inp("A", "dY_ij/dA_ik = B_kj", "\\frac{\\partial Y_{ij}}{\\partial A_{ik}} = B_{kj}",
                      "G @ B^T", "G B^{\\top}"),
                 _inp("B", "dY_ij/dB_kj = A_ik", "\\frac{\\partial Y_{ij}}{\\partial B_{kj}} = A_{ik}",
                      "A^T @ G", "A^{\\top} G"))


def _mv(node, info):
    return _rule("mv", "y = A @ v", "y = A v",
                 _inp("A", "dy_i/dA_ij = v_j", "\\frac{\\partial y_i}{\\partial A_{ij}} = v_j", "g v^T",
                      "g\\, v^{\\top}"),
                 _inp("v", "dy_i/dv_j = A_ij", "\\frac{\\partial y_i}{\\partial v_j} = A_{ij}", "A^T g",
                      "A^{\\top} g"))


def _dot(node, info):
    return _rule("dot", "y = a . b = sum_i a_i b_i", "y = a^{\\top} b",
                 _inp("a", "dy/da_i = b_i", "\\frac{\\partial y}{\\partial a_i} = b_i", "g b", "g\\, b"),
                 _inp("b", "dy/db_i = a_i", "\\frac{\\partial y}{\\partial b_i} = a_i", "g a", "g\\, a"))


def _addmm(node, info):
    return _rule("addmm", "Y = C + A @ B", "Y = C + A B",
                 _inp("C", "dY/dC = 1", "\\frac{\\partial Y}{\\partial C} = 1", "G", "G"),
                 _inp("A", "dY_ij/dA_ik = B_kj", "\\frac{\\partial Y_{ij}}{\\partial A_{ik}} = B_{kj}",
                      "G @ B^T", "G B^{\\top}"),
                 _inp("B", "dY_ij/dB_kj = A_ik", "\\frac{\\partial Y_{ij}}{\\partial B_{kj}} = A_{ik}",
                      "A^T @ G", "A^{\\top} G"))


def _linear(node, info):
    return _rule("linear", "Y = X @ W^T + b", "Y = X W^{\\top} + b",
                 _inp("X", "dY_nj/dX_nk = W_jk", "\\frac{\\partial Y_{nj}}{\\partial X_{nk}} = W_{jk}",
                      "G @ W", "G\\, W"),
                 _inp("W", "dY_nj/dW_jk = X_nk", "\\frac{\\partial Y_{nj}}{\\partial W_{jk}} = X_{nk}",
                      "G^T @ X", "G^{\\top} X"),
                 _inp("b", "dY_nj/db_j = 1", "\\frac{\\partial Y_{nj}}{\\partial b_j} = 1",
                      "sum of G over the rows", "\\textstyle\\sum_n G_{n,:}"))


def _sum(node, info):
    return _rule("sum", "y = sum_i a_i", "y = \\sum_i a_i",
                 _inp("a", "dy/da_i = 1", "\\frac{\\partial y}{\\partial a_i} = 1",
                      "g copied to every element of a", "g\\,\\mathbf{1}"))


def _mean(node, info):
    n = info.get("count")
    n_text = "n" if n is None else str(n)
    return _rule("mean", f"y = (1/{n_text}) sum_i a_i", f"y = \\frac{{1}}{{{n_text}}}\\sum_i a_i",
                 _inp("a", f"dy/da_i = 1/{n_text}", f"\\frac{{\\partial y}}{{\\partial a_i}} = \\frac{{1}}{{{n_text}}}",
                      f"g / {n_text} copied to every element of a", f"\\frac{{g}}{{{n_text}}}\\,\\mathbf{{1}}"))


def _softmax(node, info):
    return _rule("softmax", "y = softmax(a), y_i = exp(a_i) / sum_j exp(a_j)",
                 "y_i = \\frac{e^{a_i}}{\\sum_j e^{a_j}}",
                 _inp("a", "dy_i/da_j = y_i (delta_ij - y_j)",
                      "\\frac{\\partial y_i}{\\partial a_j} = y_i(\\delta_{ij} - y_j)",
                      "y * (g - sum_j g_j y_j)", "y \\odot \\big(g - \\textstyle\\sum_j g_j y_j\\big)"))


def _log_softmax(node, info):
    return _rule("log_softmax", "y = log_softmax(a) = a - log sum_j exp(a_j)",
                 "y_i = a_i - \\log\\sum_j e^{a_j}",
                 _inp("a", "dy_i/da_j = delta_ij - softmax(a)_j",
                      "\\frac{\\partial y_i}{\\partial a_j} = \\delta_{ij} - \\operatorname{softmax}(a)_j",
                      "g - softmax(a) * sum_j g_j",
                      "g - \\operatorname{softmax}(a)\\textstyle\\sum_j g_j"))


def _logsumexp(node, info):
    return _rule("logsumexp", "y = log sum_i exp(a_i)", "y = \\log\\sum_i e^{a_i}",
                 _inp("a", "dy/da_i = softmax(a)_i",
                      "\\frac{\\partial y}{\\partial a_i} = \\operatorname{softmax}(a)_i",
                      "g * softmax(a)", "g\\,\\operatorname{softmax}(a)"))


def _mean_word(info) -> tuple:
    """('/N', '\\frac{1}{N}') for a mean reduction, ('', '') for a sum."""
    reduction = info.get("reduction", "mean")
    if reduction == "mean":
        return " / N", "\\frac{1}{N}", "(1/N) sum_n", "\\frac{1}{N}\\sum_n"
    if reduction == "sum":
        return "", "", "sum_n", "\\sum_n"
    return "", "", "", ""


def _cross_entropy(node, info):
    per, per_l, red, red_l = _mean_word(info)
    return _rule("cross_entropy", f"L = -{red} log softmax(z_n)[t_n]",
                 f"L = -{red_l} \\log \\operatorname{{softmax}}(z_n)_{{t_n}}",
                 _inp("z", f"dL/dz_n = (softmax(z_n) - onehot(t_n)){per}",
                      f"\\frac{{\\partial L}}{{\\partial z_n}} = {per_l}\\big(\\operatorname{{softmax}}(z_n) - "
                      "\\mathbf{e}_{t_n}\\big)",
                      f"g * (softmax(z) - onehot(t)){per}",
                      f"g\\,{per_l}\\big(\\operatorname{{softmax}}(z) - \\mathbf{{e}}_t\\big)"))


def _nll(node, info):
    per, per_l, red, red_l = _mean_word(info)
    return _rule("nll_loss", f"L = -{red} a_n[t_n]", f"L = -{red_l} a_{{n,t_n}}",
                 _inp("a", f"dL/da_n = -onehot(t_n){per}",
                      f"\\frac{{\\partial L}}{{\\partial a_n}} = -{per_l}\\mathbf{{e}}_{{t_n}}",
                      f"-g * onehot(t){per}", f"-g\\,{per_l}\\mathbf{{e}}_t"))


def _mse(node, info):
    reduction = info.get("reduction", "mean")
    n = info.get("n")
    n_text = "n" if n is None else str(n)
    if reduction == "none":
        return _rule("mse_loss", "y = (a - b)^2", "y = (a - b)^2",
                     _inp("a", "dy/da = 2(a - b)", "\\frac{\\partial y}{\\partial a} = 2(a - b)",
                          "g * 2(a - b)", "2\\,g \\odot (a - b)"),
                     _inp("b", "dy/db = -2(a - b)", "\\frac{\\partial y}{\\partial b} = -2(a - b)",
                          "-g * 2(a - b)", "-2\\,g \\odot (a - b)"))
    if reduction == "sum":
        scale, scale_l, red, red_l = "2", "2", "sum_i", "\\sum_i"
    elif n == 1:  # one element: L = (a - b)^2, the lectures' J = e^2
        return _rule("mse_loss", "L = (a - b)^2", "L = (a - b)^2",
                     _inp("a", "dL/da = 2(a - b)", "\\frac{\\partial L}{\\partial a} = 2(a - b)",
                          "g * 2(a - b)", "2\\,g\\,(a - b)"),
                     _inp("b", "dL/db = -2(a - b)", "\\frac{\\partial L}{\\partial b} = -2(a - b)",
                          "-g * 2(a - b)", "-2\\,g\\,(a - b)"))
    else:
        scale, scale_l = f"2/{n_text}", f"\\frac{{2}}{{{n_text}}}"
        red, red_l = f"(1/{n_text}) sum_i", f"\\frac{{1}}{{{n_text}}}\\sum_i"
    return _rule("mse_loss", f"L = {red} (a_i - b_i)^2", f"L = {red_l} (a_i - b_i)^2",
                 _inp("a", f"dL/da_i = {scale} (a_i - b_i)",
                      f"\\frac{{\\partial L}}{{\\partial a_i}} = {scale_l}(a_i - b_i)",
                      f"g * {scale} (a - b)", f"{scale_l}\\,g\\,(a - b)"),
                 _inp("b", f"dL/db_i = -{scale} (a_i - b_i)",
                      f"\\frac{{\\partial L}}{{\\partial b_i}} = -{scale_l}(a_i - b_i)",
                      f"-g * {scale} (a - b)", f"-{scale_l}\\,g\\,(a - b)"))


def _bce(node, info):
    per, per_l, red, red_l = _mean_word(info)
    per, per_l = per.replace("N", "n"), per_l.replace("N", "n")
    red, red_l = red.replace("N", "n").replace("_n", "_i"), red_l.replace("N", "n").replace("_n", "_i")
    return _rule("binary_cross_entropy", f"L = -{red} [t ln p + (1 - t) ln(1 - p)]",
                 f"L = -{red_l} \\big[t_i \\ln p_i + (1 - t_i)\\ln(1 - p_i)\\big]",
                 _inp("p", f"dL/dp = (p - t) / (p (1 - p)){per}",
                      f"\\frac{{\\partial L}}{{\\partial p_i}} = {per_l}\\frac{{p_i - t_i}}{{p_i(1 - p_i)}}",
                      f"g * (p - t) / (p (1 - p)){per}", f"g\\,{per_l}\\frac{{p - t}}{{p(1 - p)}}"))


def _bce_logits(node, info):
    per, per_l, red, red_l = _mean_word(info)
    per, per_l = per.replace("N", "n"), per_l.replace("N", "n")
    red, red_l = red.replace("N", "n").replace("_n", "_i"), red_l.replace("N", "n").replace("_n", "_i")
    return _rule("binary_cross_entropy_with_logits", f"L = {red} [softplus(z) - t z]",
                 f"L = {red_l} \\big[\\ln(1 + e^{{z_i}}) - t_i z_i\\big]",
                 _inp("z", f"dL/dz = (sigmoid(z) - t){per}",
                      f"\\frac{{\\partial L}}{{\\partial z_i}} = {per_l}(\\sigma(z_i) - t_i)",
                      f"g * (sigmoid(z) - t){per}", f"g\\,{per_l}(\\sigma(z) - t)"))


def _maximum(node, info):
    return _rule("maximum", "y = max(a, b)", "y = \\max(a, b)",
                 _inp("a", "dy/da = 1 where a > b", "\\frac{\\partial y}{\\partial a} = \\mathbb{1}[a > b]",
                      "g where a is the larger", "g \\odot \\mathbb{1}[a > b]"),
                 _inp("b", "dy/db = 1 where b > a", "\\frac{\\partial y}{\\partial b} = \\mathbb{1}[b > a]",
                      "g where b is the larger", "g \\odot \\mathbb{1}[b > a]"))


def _minimum(node, info):
    return _rule("minimum", "y = min(a, b)", "y = \\min(a, b)",
                 _inp("a", "dy/da = 1 where a < b", "\\frac{\\partial y}{\\partial a} = \\mathbb{1}[a < b]",
                      "g where a is the smaller", "g \\odot \\mathbb{1}[a < b]"),
                 _inp("b", "dy/db = 1 where b < a", "\\frac{\\partial y}{\\partial b} = \\mathbb{1}[b < a]",
                      "g where b is the smaller", "g \\odot \\mathbb{1}[b < a]"))


def _where(node, info):
    return _rule("where", "y = where(c, a, b)", "y = c\\,?\\,a : b",
                 None,
                 _inp("a", "dy/da = 1 where c", "\\frac{\\partial y}{\\partial a} = \\mathbb{1}[c]",
                      "g where c, else 0", "g \\odot \\mathbb{1}[c]"),
                 _inp("b", "dy/db = 1 where not c", "\\frac{\\partial y}{\\partial b} = \\mathbb{1}[\\lnot c]",
                      "g where not c, else 0", "g \\odot \\mathbb{1}[\\lnot c]"))


def _reduce_extreme(word):
    def build(node, info):
        return _rule(word, f"y = {word}_i a_i", f"y = \\{word}_i a_i",
                     _inp("a", f"dy/da_i = 1 at the {word} , else 0",
                          "\\frac{\\partial y}{\\partial a_i} = \\mathbb{1}[a_i = y]",
                          f"g at the position of the {word}, 0 elsewhere", "g\\,\\mathbb{1}[a = y]"))
    return build


def _pieces(op, word):
    def build(node, info):
        k = max(1, len(info.get("in_shapes", ())))
        inputs = tuple(
            _inp(f"a_{i + 1}", f"y = {op}(a_1, ...): each a_i is one {word} of y",
                 f"\\frac{{\\partial y}}{{\\partial a_{{{i + 1}}}}} = \\text{{{word} }} {i + 1}",
                 f"{word} {i + 1} of g", f"g^{{({i + 1})}}")
            for i in range(k))
        return _rule(op, f"y = {op}(a_1, ..., a_k)", f"y = \\operatorname{{{op}}}(a_1, \\dots, a_k)", *inputs)
    return build


def _conv(node, info):
    return _rule("conv", "Y = W * X + b (cross-correlation)", "Y = W \\star X + b",
                 _inp("X", "dY/dX: the kernel W", "\\frac{\\partial Y}{\\partial X} = W",
                      "G convolved with the flipped W (transposed convolution)",
                      "G \\star^{\\top} W"),
                 _inp("W", "dY/dW: the input patches of X", "\\frac{\\partial Y}{\\partial W} = X",
                      "X correlated with G", "X \\star G"),
                 _inp("b", "dY/db = 1", "\\frac{\\partial Y}{\\partial b} = 1",
                      "sum of G over batch and positions", "\\textstyle\\sum_{n,p} G_{n,:,p}"))


def _index(node, info):
    return _rule("index", "y = a[idx]", "y = a[\\mathrm{idx}]",
                 _inp("a", "dy/da = 1 at the selected positions",
                      "\\frac{\\partial y_k}{\\partial a_{\\mathrm{idx}_k}} = 1",
                      "zeros of a's shape with g added at idx", "\\bar a[\\mathrm{idx}] \\mathrel{+}= g"))


def _embedding(node, info):
    return _rule("embedding", "Y = W[idx] (rows of W)", "Y = W_{\\mathrm{idx},:}",
                 _inp("W", "dY_k/dW_idx_k = 1", "\\frac{\\partial Y_k}{\\partial W_{\\mathrm{idx}_k}} = 1",
                      "rows of G added into the rows of W used", "\\bar W[\\mathrm{idx}] \\mathrel{+}= G"))


def _dropout(node, info):
    return _rule("dropout", "y = a * m / (1 - p) (m: random 0/1 mask)", "y = \\frac{m \\odot a}{1 - p}",
                 _inp("a", "dy/da = m / (1 - p)", "\\frac{\\partial y}{\\partial a} = \\frac{m}{1 - p}",
                      "g * m / (1 - p)", "\\frac{g \\odot m}{1 - p}"))


def _maxpool(node, info):
    return _rule("max_pool", "y = max over each window of a", "y_w = \\max_{i \\in w} a_i",
                 _inp("a", "dy_w/da_i = 1 at the window's max, else 0",
                      "\\frac{\\partial y_w}{\\partial a_i} = \\mathbb{1}[a_i = y_w]",
                      "g of each window sent to its max", "\\bar a_i = \\textstyle\\sum_w g_w \\mathbb{1}[a_i = y_w]"))


def _avgpool(node, info):
    return _rule("avg_pool", "y = mean over each window of a (k elements)", "y_w = \\frac{1}{k}\\sum_{i \\in w} a_i",
                 _inp("a", "dy_w/da_i = 1/k inside the window", "\\frac{\\partial y_w}{\\partial a_i} = \\frac{1}{k}",
                      "g / k spread over each window", "\\bar a_i = \\frac{1}{k}\\textstyle\\sum_{w \\ni i} g_w"))


_RULES = {
    "Add": _add, "Sub": _sub, "Mul": _mul, "Div": _div, "Pow": _pow,
    "MatMul": _matmul, "Mm": _matmul, "Bmm": _matmul, "Mv": _mv, "Dot": _dot, "Addmm": _addmm,
    "Linear": _linear, "Sum": _sum, "Mean": _mean,
    "BroadcastTo": _identity_like("expand", "y = broadcast(a) (each a_i copied along new axes)",
                                  "y = \\operatorname{broadcast}(a)", "g summed over the broadcast axes",
                                  "\\textstyle\\sum_{\\text{broadcast axes}} g",
                                  "dy_j/da_i = 1 for every copy y_j of a_i"),
    "SumTo": _identity_like("sum_to", "y = a summed over broadcast axes", "y = \\textstyle\\sum_{\\text{axes}} a",
                            "g broadcast back to a's shape", "\\operatorname{broadcast}(g)"),
    "Reshape": _identity_like("reshape", "y = reshape(a) (same values, new shape)", "y = \\operatorname{reshape}(a)",
                              "g reshaped to a's shape", "\\operatorname{reshape}(g)"),
    "Permute": _identity_like("transpose", "y = permute(a) (transpose: y = a^T)", "y = a^{\\top}",
                              "g permuted back (g^T for a transpose)", "g^{\\top}"),
    "Clone": _identity_like("clone", "y = a (a copy)", "y = a", "g", "g"),
    "Cast": _identity_like("to", "y = a (another dtype)", "y = a", "g in a's dtype", "g"),
    "ToDevice": _identity_like("to", "y = a (another device)", "y = a", "g on a's device", "g"),
    "Softmax": _softmax, "LogSoftmax": _log_softmax, "Logsumexp": _logsumexp,
    "CrossEntropy": _cross_entropy, "NLLLoss": _nll, "MSELoss": _mse,
    "BCE": _bce, "BCEWithLogits": _bce_logits,
    "Maximum": _maximum, "Minimum": _minimum, "Where": _where,
    "Max": _reduce_extreme("max"), "Amax": _reduce_extreme("max"),
    "Min": _reduce_extreme("min"), "Amin": _reduce_extreme("min"),
    "Cat": _pieces("cat", "block"), "Stack": _pieces("stack", "slice"),
    "Convolution": _conv, "Index": _index, "Slice": _index, "Embedding": _embedding,
    "Dropout": _dropout, "MaxPool": _maxpool, "AvgPool": _avgpool,
}

# Rules that act element by element (their inputs may have been broadcast).
_ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "MSELoss", "Maximum", "Minimum", "Where"}


def _op_key(name: str) -> str:
    """'MulBackward0' -> 'Mul'; a user Function 'MyOpBackward' -> 'MyOp'."""
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _generic(node, info, name: str) -> LocalRule:
    op = _op_key(name)
    shapes = info.get("in_shapes") or ((),)
    inputs = tuple(
        None if shape is None else
        _inp(f"x_{i + 1}", f"dJ/dx_{i + 1} = (dy/dx_{i + 1})^T g",
             f"\\frac{{\\partial J}}{{\\partial x_{{{i + 1}}}}} = "
             f"\\Big(\\frac{{\\partial y}}{{\\partial x_{{{i + 1}}}}}\\Big)^{{\\!\\top}} g",
             f"{op}'s backward applied to g",
             f"\\Big(\\frac{{\\partial y}}{{\\partial x_{{{i + 1}}}}}\\Big)^{{\\!\\top}} g")
        for i, shape in enumerate(shapes))
    return _rule(op, f"chain rule through {op}: y = {op}(...)",
                 f"y = \\operatorname{{{_latex_escape(op)}}}(\\dots)", *inputs, generic=True)


def _latex_escape(text: str) -> str:
    return text.replace("_", "\\_")


def _node_info(node, in_shapes, grad_shapes) -> dict:
    """Facts about a node that sharpen its rule, read without touching freed state."""
    state = getattr(node, "__dict__", {})
    info = {"in_shapes": in_shapes, "grad_shapes": grad_shapes}
    for key in ("reduction", "n", "count"):
        if key in state and isinstance(state[key], (int, str)):
            info[key] = state[key]
    if "count" not in info and in_shapes and grad_shapes and in_shapes[0] is not None and grad_shapes[0]:
        size_in = _size(in_shapes[0])
        size_out = _size(grad_shapes[0])
        if size_out and size_in % size_out == 0:
            info["count"] = size_in // size_out
    saved = node.saved_values if hasattr(node, "saved_values") else ()
    if len(saved) >= 2 and isinstance(saved[1], (int, float)) and not isinstance(saved[1], bool):
        info["exponent"] = saved[1]
    return info


def _broadcast_shapes(shapes) -> tuple | None:
    ndim = max(len(s) for s in shapes)
    out = []
    for k in range(ndim):
        sizes = {s[len(s) - ndim + k] for s in shapes if len(s) - ndim + k >= 0} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def rule_for(node, grad_shapes: tuple = ()) -> LocalRule:
    """The local rule of a backward ``node`` (``grad_shapes``: shapes of its incoming gradients).

    Elementwise rules note where an input was broadcast: its contribution is summed back
    to its own shape.
    """
    name = node.name()
    meta = node.input_metadata
    in_shapes = tuple(None if m is None else tuple(m[0]) for m in meta)
    info = _node_info(node, in_shapes, tuple(grad_shapes))
    key = _op_key(name)
    builder = _RULES.get(key)
    if key in _UNARY:
        rule = _unary(key.lower(), *_UNARY[key])
    elif builder is not None:
        rule = builder(node, info)
    else:
        rule = _generic(node, info, name)
    rule = LocalRule(name, rule.forward, rule.forward_latex, rule.inputs, rule.generic)
    out_shape = None
    if key == "MSELoss" and info.get("reduction") != "none":
        known = [shape for shape in in_shapes if shape is not None]
        out_shape = _broadcast_shapes(known) if known else None
    elif key in _ELEMENTWISE and grad_shapes and grad_shapes[0] is not None:
        out_shape = tuple(grad_shapes[0])
    if out_shape is not None:
        inputs = list(rule.inputs)
        for i, r in enumerate(inputs):
            if r is None or i >= len(in_shapes) or in_shapes[i] is None or in_shapes[i] == out_shape:
                continue
            note = f"summed over broadcast axes from {out_shape} to {in_shapes[i]}"
            inputs[i] = InputRule(r.symbol, r.derivative, r.derivative_latex, r.sends, r.sends_latex, note)
        rule = LocalRule(rule.op, rule.forward, rule.forward_latex, tuple(inputs), rule.generic)
    return rule
