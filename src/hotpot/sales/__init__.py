"""Walk-in sales, receipts, the unclaimed pool and its distributions."""
