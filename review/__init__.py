"""The monthly review (policy §4.4.2): the period's figures, judged as at the period's end."""
