"""Independent references shared by the tests: rules written out the slow, obvious way."""

import numpy as np


def carry_forward_tax(earnings, rate) -> np.ndarray:
    """Profit tax month by month: a loss joins the pool, a profit first uses the pool up."""
    pool, tax = 0.0, []
    for e in earnings:
        if e < 0:
            pool += -e
            tax.append(0.0)
        else:
            used = min(pool, e)
            pool -= used
            tax.append(rate * (e - used))
    return np.array(tax)
