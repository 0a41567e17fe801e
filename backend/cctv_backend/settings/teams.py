"""Settings of teams (issue 25). Every value is an environment variable with a documented default
(README "Configuration", docs/contracts.md "Teams")."""

from cctv_backend.env import env_int

# Teams one user may belong to, their personal team included; creating or joining one more is refused
# (400). Every list the user reads filters by these teams in one subquery: the bound keeps it small.
TEAMS_PER_USER_MAX = env_int("TEAMS_PER_USER_MAX", 100, minimum=1, maximum=10_000)
# Members of one team; adding one more is refused (400).
TEAM_MEMBERS_MAX = env_int("TEAM_MEMBERS_MAX", 500, minimum=1, maximum=100_000)
# Camera groups (sites) of one team; creating one more is refused (400). A membership is narrowed to at
# most this many groups too (a longer list is refused before any lookup).
CAMERA_GROUPS_PER_TEAM_MAX = env_int("CAMERA_GROUPS_PER_TEAM_MAX", 100, minimum=1, maximum=10_000)
# Cameras in one group; a longer list is refused (400) before any lookup.
CAMERA_GROUP_CAMERAS_MAX = env_int("CAMERA_GROUP_CAMERAS_MAX", 1000, minimum=1, maximum=100_000)
