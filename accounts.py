"""Staff accounts: argon2 password hashes, roles, departments. No Flask here."""
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import catalog
from models import Department, User, UserRole, db, utcnow

hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a
# real check, so response time does not tell which user names exist.
_DUMMY_HASH = None


def configure_hasher(time_cost, memory_cost, parallelism=1):
    """Tests use cheaper parameters; production keeps argon2-cffi's defaults."""
    global hasher, _DUMMY_HASH
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = None


def generate_password():
    return secrets.token_urlsafe(12)


def new_token():
    return secrets.token_hex(24)


def authenticate(username, password):
    """The active user with this name and password, or None."""
    global _DUMMY_HASH
    user = User.get_or_none(User.username == username)
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hasher.hash(generate_password())
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=hasher.hash(password)).where(User.id == user.id).execute()
    return user


def _verify(password_hash, password):
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def save_user(user, roles, password=None):
    """Create or update a user with their roles; a new password ends their sessions."""
    with db.atomic():
        if password:
            user.password_hash = hasher.hash(password)
            user.login_token = new_token()
        if not user.active:
            user.login_token = new_token()
        if user.id is None:
            user.created_at = utcnow()
        user.save()
        UserRole.delete().where(UserRole.user == user).execute()
        for role in roles:
            UserRole.create(user=user, role=role)
    user._roles = set(roles)
    return user


def create_user(username, display_name, roles, password, department=None, language="zh_CN"):
    user = User(username=username, display_name=display_name, department=department,
                language=language, active=True)
    return save_user(user, roles, password)


def ensure_departments():
    """The built-in departments exist (their names are translated when shown)."""
    for code, label in catalog.BUILT_IN_DEPARTMENTS:
        Department.get_or_create(code=code, defaults={"name": str(label)})


def ensure_admin(password=None):
    """Create the first administrator if there is no user; return its password or None."""
    if User.select().exists():
        return None
    password = password or generate_password()
    create_user("admin", "Administrator", ["admin"], password)
    return password
