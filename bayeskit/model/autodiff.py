"""Reverse-mode derivative rules of the scalar operations, as source templates.

Elementwise operations are generated as scalar code inside loops (see ``codegen``):
``FORWARD[op]`` is the expression of the result from its operands ``{a}``, ``{b}``,
``{c}``, and ``PARTIALS[op]`` gives, per operand, the partial derivative of the result
``{t}`` with respect to that operand (``None``: not differentiable, e.g. a condition).
The reverse sweep multiplies each partial by the adjoint of the result and adds it to
the operand's adjoint. Non-elementwise operations (matrix products, reductions,
concatenation, Cholesky, scan) carry their own rules in ``codegen``.
"""

FORWARD = {
    "neg": "(-{a})",
    "exp": "math.exp({a})",
    "log": "math.log({a})",
    "log1p": "math.log1p({a})",
    "expm1": "math.expm1({a})",
    "sqrt": "math.sqrt({a})",
    "square": "({a} * {a})",
    "abs": "abs({a})",
    "tanh": "math.tanh({a})",
    "sin": "math.sin({a})",
    "cos": "math.cos({a})",
    "sigmoid": "_rt.sigmoid({a})",
    "logit": "_rt.logit({a})",
    "softplus": "_rt.log1pexp({a})",
    "log_sigmoid": "(-_rt.log1pexp(-{a}))",
    "log1mexp": "_rt.log1mexp({a})",
    "lgamma": "math.lgamma({a})",
    "erf": "math.erf({a})",
    "add": "({a} + {b})",
    "sub": "({a} - {b})",
    "mul": "({a} * {b})",
    "div": "({a} / {b})",
    "pow": "({a} ** {b})",
    "maximum": "max({a}, {b})",
    "minimum": "min({a}, {b})",
    "logaddexp": "_rt.logaddexp({a}, {b})",
    "lt": "({a} < {b})",
    "le": "({a} <= {b})",
    "gt": "({a} > {b})",
    "ge": "({a} >= {b})",
    "eq": "({a} == {b})",
    "ne": "({a} != {b})",
    "where": "({b} if {a} else {c})",
}

PARTIALS = {
    "neg": ["-1.0"],
    "exp": ["{t}"],
    "log": ["(1.0 / {a})"],
    "log1p": ["(1.0 / (1.0 + {a}))"],
    "expm1": ["({t} + 1.0)"],
    "sqrt": ["(0.5 / {t})"],
    "square": ["(2.0 * {a})"],
    "abs": ["(1.0 if {a} >= 0.0 else -1.0)"],
    "tanh": ["(1.0 - {t} * {t})"],
    "sin": ["math.cos({a})"],
    "cos": ["(-math.sin({a}))"],
    "sigmoid": ["({t} * (1.0 - {t}))"],
    "logit": ["(1.0 / ({a} * (1.0 - {a})))"],
    "softplus": ["_rt.sigmoid({a})"],
    "log_sigmoid": ["_rt.sigmoid(-{a})"],
    "log1mexp": ["(-1.0 / math.expm1(-{a}))"],
    "lgamma": ["_rt.digamma({a})"],
    "erf": ["(1.1283791670955126 * math.exp(-{a} * {a}))"],
    "add": ["1.0", "1.0"],
    "sub": ["1.0", "-1.0"],
    "mul": ["{b}", "{a}"],
    "div": ["(1.0 / {b})", "(-{t} / {b})"],
    "pow": ["({b} * {a} ** ({b} - 1.0))", "({t} * math.log({a}) if {a} > 0.0 else 0.0)"],
    "maximum": ["(1.0 if {a} >= {b} else 0.0)", "(0.0 if {a} >= {b} else 1.0)"],
    "minimum": ["(1.0 if {a} <= {b} else 0.0)", "(0.0 if {a} <= {b} else 1.0)"],
    "logaddexp": ["math.exp({a} - {t})", "math.exp({b} - {t})"],
    "where": [None, "(1.0 if {a} else 0.0)", "(0.0 if {a} else 1.0)"],
}
for _op in ("lt", "le", "gt", "ge", "eq", "ne"):
    PARTIALS[_op] = [None, None]


def forward_expr(op, operands, result=None):
    """Source of ``op`` applied to the operand expressions."""
    names = dict(zip("abc", operands))
    return FORWARD[op].format(t=result, **names)


def partial_exprs(op, operands, result):
    """Per operand: source of d result / d operand, or None."""
    names = dict(zip("abc", operands))
    return [None if p is None else p.format(t=result, **names) for p in PARTIALS[op]]
