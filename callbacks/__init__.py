"""Proactive callbacks (主动回访, policy §4.1.1): deliveries and service visits in, calls out.

schedule   which calls a delivery or a service visit makes, due when (the administrator's schedule)
importer   reading the dealer management system's CSV or XLSX export: columns, rows, checks
imports    an import job from upload through preview to saving, with its progress
outcomes   recording what a call found: satisfied, a complaint, no answer, wrong number, do not call
figures    the queue page's counts and this month's rates
"""
