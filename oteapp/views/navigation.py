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
    ("payouts", "Payouts"),
)
# Managers and above only: they show everyone's earnings.
MANAGER_TABS = frozenset({"leaderboard", "payouts", "plans", "advisor"})
# What a member with the rep access level sees: their own pay only.
REP_TABS = (
    ("my_statement", "My statement"),
    ("my_history", "My history"),
    ("my_plan", "My plan"),
)
# Added to REP_TABS when the organization lets reps see the leaderboard (names and attainment, never earnings).
REP_LEADERBOARD_TAB = ("my_leaderboard", "Leaderboard")
