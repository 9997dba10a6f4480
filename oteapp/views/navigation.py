"""The tabs of SPEC section 9, in the order the navigation shows them."""

TABS = (
    ("overview", "Overview"),
    ("performance", "Team Performance"),
    ("leaderboard", "Leaderboard"),
    ("actuals", "Actuals"),
    ("pnl", "P&L"),
    ("whatif", "What-If"),
    ("plans", "Plan lab"),
    ("advisor", "Advisor"),
    ("configuration", "Configuration"),
    ("history", "History"),
)
