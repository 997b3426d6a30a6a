"""Demo data: five fictional persons whose dates are relative to the day the data is loaded."""
