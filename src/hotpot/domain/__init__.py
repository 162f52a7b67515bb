"""Pure business rules: plain Python over plain values, no I/O."""
