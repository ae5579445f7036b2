"""The deadline engine (DOMAIN.md §5, policy §4.3).

workdays       working-day and working-hour arithmetic on a Calendar (pure)
calendar_days  the dealership's calendar as the administrator keeps it, loaded into a Calendar
rules          how long each clock runs, per category and severity; defaults
clocks         which clocks each step of a complaint starts and meets; pauses, extensions
ladder         reminders and escalation, and the every-minute sweep
"""
