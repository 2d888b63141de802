"""The demo city: a plan drawn from a seed, then written to an empty database.

`build_plan(size, seed)` makes plain Python data (areas, households, residents, party
organisations, members, links, accounts) from one `random.Random(seed)`, so the same seed gives
the same city; `plan_problems(plan)` checks it against the rules the services enforce (ID check
digits, unique mobiles, the branch rules of DOMAIN.md §4, the household-link limit) and
`load_plan(plan)` writes it, all or nothing. Upper tree nodes, party organisations above the
groups, committees, member units and accounts go through their services (each audited);
buildings, party groups, households, residents, members and links, which are many, are
bulk-inserted in batches from the validated plan, with one summary audit row for them all.

`names` holds the names, numbers and words; `plan` the plan's data, its sizes and
`plan_problems`; `layout` the territory, departments and accounts, the same for every seed;
`people` and `party` what is drawn from the seed (`build_plan`); `load` writes the plan.
"""

from .layout import demo_accounts, scope_names
from .load import DEMO_PASSWORD, load_plan
from .party import build_plan
from .plan import DEFAULT_SEED, SIZES, AccountPlan, plan_problems

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "SIZES",
    "AccountPlan",
    "build_plan",
    "demo_accounts",
    "load_plan",
    "plan_problems",
    "scope_names",
]
