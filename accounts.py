"""Staff accounts: argon2 password hashes, roles, departments, login sessions. No Flask here."""
import hashlib
import secrets
import threading
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import OperationalError

import catalog
from models import Bound, Department, LoginSession, User, UserRole, db, kept, utcnow

hasher = PasswordHasher()
# argon2 holds its memory cost (64 MiB at argon2-cffi's defaults) for as long as a hash runs:
# four logins at the same moment in one web process would take 256 MiB. One hash at a time per
# process keeps a process's peak at one hash's worth; a login waits the few tens of
# milliseconds another one takes, and the other processes hash side by side.
_hashing = threading.Lock()
# Verifying against this when the user does not exist costs the same time as a
# real check, so response time does not tell which user names exist.
_DUMMY_HASH = None


def configure_hasher(time_cost, memory_cost, parallelism=1):
    """Tests use cheaper parameters; production keeps argon2-cffi's defaults."""
    global hasher, _DUMMY_HASH
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = None


MIN_PASSWORD_LENGTH = 10


def generate_password():
    return secrets.token_urlsafe(12)


def password_problem(password, username="", display_name=""):
    """Why a password may not be used (a message code), or None.

    At least 10 characters, and not easy to guess: zxcvbn scores common passwords,
    repeats, keyboard runs, dates and the person's own names as weak.
    """
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return "too_short"
    if username and username.lower() in password.lower():
        return "has_name"
    # Imported here, not at the top: its word lists are 13 MB that every web process would hold
    # for the rare moment a password is set.
    from zxcvbn import zxcvbn
    if zxcvbn(password[:100], user_inputs=[username, display_name])["score"] < 2:
        return "guessable"
    return None


def new_token():
    return secrets.token_hex(24)


# -- login sessions ----------------------------------------------------------------
# The cookie carries a random token; the database keeps only its hash, so a copy of
# the database opens no session. A session ends on the server: a copied cookie is
# worth nothing after logout.

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user, now, ip="", user_agent=""):
    """A new session for the user; its token goes into the cookie (user.get_id())."""
    token = secrets.token_urlsafe(32)
    LoginSession.create(token_hash=_token_hash(token), user=user, created_at=now, last_seen_at=now,
                        ip=ip[:45], user_agent=user_agent[:200])
    user.session_token = token
    return token


_live_session = kept(lambda: LoginSession.select(LoginSession, User).join(User)
                     .where((LoginSession.token_hash == Bound("token")) & LoginSession.ended_at.is_null()).limit(1))


def session_user(token, now, idle, absolute, seen=True):
    """(user, None) for a live session; (None, why) for one that just ended or none.

    A session unused for `idle`, or older than `absolute`, ends here. `seen=False`
    for requests a page makes by itself (the bell's polling), which are no sign of
    someone at the keyboard.
    """
    row = _live_session.first(token=_token_hash(token or ""))
    if row is None or not row.user.active:
        return None, None
    why = "idle" if now - row.last_seen_at > idle else "expired" if now - row.created_at > absolute else None
    if why:
        _end(LoginSession.id == row.id, now, why)
        return None, why
    if seen and now - row.last_seen_at > SEEN_EVERY:
        try:
            LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
        except OperationalError:
            pass  # a full or read-only disk says so on the page; it need not log everyone out

    user = row.user
    user.session_token = token
    return user, None


def end_session(token, now, why="logout"):
    _end(LoginSession.token_hash == _token_hash(token or ""), now, why)


def end_sessions(user, now, why, keep_token=None):
    """End every session of the user but the one with keep_token."""
    which = LoginSession.user == user
    if keep_token:
        which &= LoginSession.token_hash != _token_hash(keep_token)
    _end(which, now, why)


def end_all_sessions(now, why):
    _end(LoginSession.id > 0, now, why)


def _end(which, now, why):
    LoginSession.update(ended_at=now, ended_why=why).where(which & LoginSession.ended_at.is_null()).execute()


def authenticate(username, password):
    """The active user with this name and password, or None."""
    global _DUMMY_HASH
    user = User.get_or_none(User.username == username)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(generate_password())
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=hash_password(password)).where(User.id == user.id).execute()
    return user


def hash_password(password):
    with _hashing:
        return hasher.hash(password)


def _verify(password_hash, password):
    if not password:
        return False
    try:
        with _hashing:
            return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def save_user(user, roles, password=None, keep_session=None):
    """Create or update a user with their roles. A new password ends their sessions but
    `keep_session` (the token of the browser that changed it); disabling ends them all."""
    with db.atomic():
        if password:
            user.password_hash = hash_password(password)
        if user.id is None:
            user.created_at = utcnow()
        user.save()
        if password:
            end_sessions(user, utcnow(), "password", keep_token=keep_session)
        if not user.active:
            end_sessions(user, utcnow(), "disabled")
        UserRole.delete().where(UserRole.user == user).execute()
        for role in roles:
            UserRole.create(user=user, role=role)
    user._roles = set(roles)
    return user


def create_user(username, display_name, roles, password, department=None, language="zh_CN",
                must_change_password=False):
    user = User(username=username, display_name=display_name, department=department,
                language=language, active=True, must_change_password=must_change_password)
    return save_user(user, roles, password)


def ensure_departments():
    """The built-in departments exist (their names are translated when shown)."""
    for code, label in catalog.BUILT_IN_DEPARTMENTS:
        Department.get_or_create(code=code, defaults={"name": str(label)})


def ensure_admin(password=None):
    """Create the first administrator if there is no user; return its password or None.
    A generated password is changed at the first login."""
    if User.select().exists():
        return None
    chosen = password or generate_password()
    create_user("admin", "Administrator", ["admin"], chosen, must_change_password=not password)
    return chosen


def reset_password(user, password=None):
    """A new password (generated unless given) that its owner changes at the next login;
    every session of the user ends. Returns the password."""
    password = password or generate_password()
    user.must_change_password = True
    save_user(user, user.roles, password)
    return password
