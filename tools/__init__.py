"""Course tooling (running notebooks, building student versions and the site); not for learners."""
