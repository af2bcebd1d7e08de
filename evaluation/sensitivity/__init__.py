"""How sure can we be: sensitivity of impact findings to hidden bias and to the data."""
