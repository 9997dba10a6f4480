"""Forms of the tabs, one module per screen: they parse and validate input, services write."""
