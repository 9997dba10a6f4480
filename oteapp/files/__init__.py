"""Files in and out: configuration JSON, actuals CSV, the organization's data export."""
