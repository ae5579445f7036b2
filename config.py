"""Every setting of the app with its default; most are read from the environment variable
named beside them (README, Configuration). create_app(config) overrides any of them."""
import ipaddress
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def default_config(instance_path):
    env = os.environ.get
    return {
        "DATABASE_URL": env("DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "complaints.db")),
        "TIMEZONE": env("DEALERSHIP_TZ", "Asia/Shanghai"),
        # Load China's public holidays and make-up days for this year and the next at start-up.
        "OFFICIAL_CALENDAR": env("OFFICIAL_CALENDAR", "1") == "1",
        "DEALERSHIP_NAME": env("DEALERSHIP_NAME", ""),
        # Nightly backups go here (another disk is best); 14 are kept.
        "BACKUP_PATH": env("BACKUP_PATH", os.path.join(instance_path, "backups")),
        "BACKUPS_KEPT": int(env("BACKUPS_KEPT", "14")),
        "ATTACHMENTS_PATH": env("ATTACHMENTS_PATH", os.path.join(instance_path, "attachments")),
        "PAGE_SIZE": 50,
        # No form needs more; the photo upload allows more for itself (views/attachments.upload_limit).
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "UPLOAD_MAX_MB": int(env("UPLOAD_MAX_MB", "20")),  # each photo or document
        "UPLOAD_MAX_FILES": int(env("UPLOAD_MAX_FILES", "10")),  # at once
        "IMPORT_MAX_MB": int(env("IMPORT_MAX_MB", "20")),  # a file from the dealer management system
        "OVERDUE_REFRESH_SECONDS": 60,  # the overdue board on a wall screen polls this often
        "TASKS_STALLED_MINUTES": int(env("TASKS_STALLED_MINUTES", "5")),  # then the screens say reminders stopped
        # Outgoing mail; without SMTP_HOST no e-mail is queued.
        "SMTP_HOST": env("SMTP_HOST", ""),
        "SMTP_PORT": int(env("SMTP_PORT", "25")),
        "SMTP_SECURITY": env("SMTP_SECURITY", "none"),  # none, starttls or ssl
        "SMTP_USER": env("SMTP_USER", ""),
        "SMTP_PASSWORD": env("SMTP_PASSWORD", ""),
        "MAIL_FROM": env("MAIL_FROM", ""),
        "PUBLIC_URL": env("PUBLIC_URL", ""),  # links in messages, e.g. http://192.168.1.10:8000
        "WEBHOOK_TIMEOUT": float(env("WEBHOOK_TIMEOUT", "5")),  # seconds per step of one message
        "DELIVERY_SECONDS": float(env("DELIVERY_SECONDS", "40")),  # one outbox run stops starting messages after this
        # Networks the server may always post to (e.g. a relay on this box); nothing by default.
        "WEBHOOK_ALLOWED_NETWORKS": [ipaddress.ip_network(n.strip()) for n in
                                     env("WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env("SESSION_COOKIE_SECURE", "") == "1",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(HERE, "translations"),
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open all shift still saves
        # A login session ends after this long unused, and after this long in any case
        # (a week, so a wall screen showing the overdue list logs in once a week).
        "SESSION_IDLE_HOURS": float(env("SESSION_IDLE_HOURS", "8")),
        "SESSION_ABSOLUTE_DAYS": float(env("SESSION_ABSOLUTE_DAYS", "7")),
        # Failed logins allowed within the window, per user name and per client address.
        "LOGIN_FAILURES_PER_NAME": int(env("LOGIN_FAILURES_PER_NAME", "5")),
        "LOGIN_FAILURES_PER_ADDRESS": int(env("LOGIN_FAILURES_PER_ADDRESS", "30")),
        "LOGIN_LOCK_MINUTES": int(env("LOGIN_LOCK_MINUTES", "15")),
        "AUDIT_KEEP_DAYS": int(env("AUDIT_KEEP_DAYS", "400")),
        # Notifications read this long ago, and e-mails and robot messages sent as long ago, are deleted nightly.
        "NOTIFICATIONS_KEEP_DAYS": int(env("NOTIFICATIONS_KEEP_DAYS", "90")),
        # Behind nginx on the same box: how many proxies set X-Forwarded-For (for the client's address).
        "PROXY_COUNT": int(env("PROXY_COUNT", "0")),
    }
