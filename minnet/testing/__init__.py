"""minnet.testing: a conformance kit for your own ops, activations, layers, losses and optimisers.

One call checks one extension against what every built-in in minnet satisfies:

    check_function(MyOp)                      a mn.Function subclass (or a callable of Tensors)
    check_activation(MyActivation())          an activation layer
    check_module(MyLayer(3, 2), (4, 3))       any Module, with an input shape
    check_loss(MyLoss(), (8, 3), "labels")    a loss, with the kind of target it takes
    check_optimizer(MyAdam, reference_step)   an optimiser, against your own numpy step

Each returns a Report, a table of what passed and what failed with the worst element and
where it is, and raises AssertionError carrying that table when a check fails (pass
raise_on_failure=False to get the report either way). The checks: gradients against central
differences in float64 over 0-d to 3-D shapes and broadcasting; finite results and no
warnings at kinks and at extremes (+/-1e4 and beyond, where exp overflows); float32 in,
float32 out, agreeing with float64; inputs left unmodified; parameter gradients of the
parameter's shape; an activation's stated derivative against its formula; an optimiser's
steps against a reference.
"""
from minnet.testing.report import Report, Check, CheckFailure
from minnet.testing.core import EXTREMES
from minnet.testing.functions import check_function, check_activation
from minnet.testing.modules import check_module, check_loss
from minnet.testing.optimizers import check_optimizer

__all__ = ["check_function", "check_activation", "check_module", "check_loss", "check_optimizer",
           "Report", "Check", "CheckFailure", "EXTREMES"]
