"""Settings from the environment: one validated object, read once at start."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hotpot.domain.distribution import DistributionPeriod
from hotpot.domain.periods import (
    DEFAULT_PERIODS,
    LONGEST_PERIOD,
    LONGEST_RECEIPT_LIFETIME,
    InvalidPeriods,
    Periods,
)

# Local development values only. The service refuses them when HOTPOT_ENV=production.
DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production"
DEV_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"dev-only-encryption-key-32bytes!").decode()

# anvil's first well-known dev account (public knowledge: never holds anything real).
DEV_RELAY_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

# Receipt activation codes: the key of their stored hash (security/codes.py).
DEV_RECEIPT_CODE_SECRET = "dev-only-receipt-code-secret-do-not-use-in-production"

SECRET_VARIABLES = {
    "JWT_SECRET": DEV_JWT_SECRET,
    "ENCRYPTION_KEY": DEV_ENCRYPTION_KEY,
    "RECEIPT_CODE_SECRET": DEV_RECEIPT_CODE_SECRET,
}
# Local development addresses of the network's own holders (public, not secrets, but a
# production network must name its real ones: tokens minted here would be lost).
DEV_ADDRESSES = {
    "OWNER_ADDRESS": "0x00000000000000000000000000000000000D0001",
    "CHARITY_ADDRESS": "0x00000000000000000000000000000000000D0002",
    "CUSTODY_ADDRESS": "0x00000000000000000000000000000000000D0003",
}
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
# `serve`'s /metrics in production when METRICS_PORT is unset (the relay's is 9102).
DEFAULT_PRODUCTION_METRICS_PORT = 9101


def _seconds(period: timedelta) -> int:
    return int(period.total_seconds())


def _hours(period: timedelta) -> int:
    return _seconds(period) // 3600


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ConfigError(ValueError):
    """A setting is missing or unusable; the message names the variable."""


def _is_wildcard(host: str) -> bool:
    """A listen address meaning "every interface" (0.0.0.0, ::): no one browses to it."""
    try:
        return not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _decode_key(value: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError) as exc:
        raise ValueError("ENCRYPTION_KEY must be 32 bytes, base64url-encoded") from exc
    if len(raw) != 32:
        raise ValueError("ENCRYPTION_KEY must be 32 bytes, base64url-encoded")
    return raw


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    hotpot_env: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    database_replica_url: str | None = None
    redis_url: str | None = None
    redis_namespace: str = Field(default="hotpot", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    log_level: str = "INFO"
    jwt_secret: str | None = None
    encryption_key: str | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    host: str = "127.0.0.1"
    hotpot_data_dir: Path = Path(".hotpot")
    # Embedded servers are started only when the matching URL is unset and this is on.
    hotpot_embedded: bool = True
    hotpot_seed_demo: bool = True
    hotpot_profiling_enabled: bool = False
    owner_address: str = Field(default=DEV_ADDRESSES["OWNER_ADDRESS"], pattern=_ADDRESS)
    charity_address: str = Field(default=DEV_ADDRESSES["CHARITY_ADDRESS"], pattern=_ADDRESS)
    custody_address: str = Field(default=DEV_ADDRESSES["CUSTODY_ADDRESS"], pattern=_ADDRESS)
    password_hash_profile: Literal["rfc9106-low-memory", "cheapest-for-tests"] = (
        "rfc9106-low-memory"
    )

    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86_400, ge=300)
    siwe_domain: str = "localhost:8080"
    siwe_uri: str = "http://localhost:8080"
    siwe_chain_id: int = 31337
    siwe_nonce_ttl_seconds: int = Field(default=600, ge=30)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    rate_limit_login_per_minute: int = Field(default=10, ge=1)
    rate_limit_register_per_hour: int = Field(default=20, ge=1)
    rate_limit_orders_per_minute: int = Field(default=120, ge=1)
    # Sign-in buckets of their own (issue 10): per address across login names, per login
    # name across addresses (with backoff), terminal sign-in and SIWE (docs/access.md).
    rate_limit_login_address_per_minute: int = Field(default=30, ge=1)
    rate_limit_login_name_per_hour: int = Field(default=100, ge=1)
    rate_limit_terminal_login_per_minute: int = Field(default=10, ge=1)
    rate_limit_siwe_per_minute: int = Field(default=10, ge=1)
    menu_cache_ttl_seconds: int = Field(default=300, ge=1)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Database outage behaviour (issue 10): bounded waits so a stalled database answers 503.
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    db_statement_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    idempotency_in_flight_seconds: int = Field(default=60, ge=1)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    # Seconds an idle HTTP keep-alive connection stays open. Longer than the proxy keeps
    # its idle upstream connections (nginx's upstream `keepalive_timeout` 60 s, the ingress
    # controller's 60 s): were the server to close first, a request the proxy sends on such
    # a connection just as it closes fails, and a POST is not retried (a 502/503).
    http_keepalive_seconds: int = Field(default=75, ge=1, le=3600)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Settlement (docs/settlement.md). No CHAIN_RPC_URLS: the embedded anvil node.
    chain_rpc_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    chain_id: int = Field(default=31337, ge=1)
    relay_private_key: str | None = Field(default=None, pattern=r"^(0x)?[0-9a-fA-F]{64}$")
    ipfs_api_url: str | None = None
    # Named by GET /api/v1/settlement/network for outside verifiers; never CHAIN_RPC_URLS,
    # which may carry provider keys.
    chain_public_rpc_url: str | None = Field(default=None, pattern=r"^(https?|wss?)://\S+$")
    settlement_batch_size: int = Field(default=300, ge=1, le=512)
    settlement_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    # Batches a relay pass sends before it waits for their receipts (consecutive nonces:
    # several go into one block); 1 waits for each batch's receipt before the next.
    settlement_batches_in_flight: int = Field(default=8, ge=1, le=64)
    # Seconds between the relay's reconciliations (its own task, beside the batches).
    settlement_reconcile_seconds: float = Field(default=30.0, gt=0, le=86400)
    # Run the relay inside `serve`. Unset: only when `serve` started the embedded chain
    # (with CHAIN_RPC_URLS, a separate `hotpot worker` settles).
    settlement_relay_in_process: bool | None = None
    # `hotpot worker` serves its metrics (/metrics) on this port; 0 turns that off.
    worker_metrics_port: int = Field(default=9102, ge=0, le=65535)
    # `hotpot serve` serves /metrics on this port of its own, never on the public PORT
    # (docs/observability.md). Unset: 9101 in production, the API's own port in
    # development; 0 turns it off.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Receipt activation codes (docs/sales.md): the HMAC key of their stored hash.
    # Unset: the development value, refused in production.
    receipt_code_secret: str | None = None
    # Public origin: the claim link and the receipt QR point here.
    # Unset outside production: http://HOST:PORT of this process (localhost for 0.0.0.0).
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")

    # Periods of the rules (domain.md's *(config)*; domain/periods.py), checked together at
    # start. Seconds, so a whole-system test can shorten them; the network voting bounds
    # are in hours, the unit a proposal picks its period in (`voting_hours`).
    receipt_lifetime_seconds: int = Field(
        default=_seconds(DEFAULT_PERIODS.receipt_lifetime),
        ge=1,
        le=_seconds(LONGEST_RECEIPT_LIFETIME),
    )
    distribution_period: DistributionPeriod = DEFAULT_PERIODS.distribution_period
    dish_voting_seconds: int = Field(
        default=_seconds(DEFAULT_PERIODS.dish_voting), ge=1, le=_seconds(LONGEST_PERIOD)
    )
    network_voting_min_hours: int = Field(
        default=_hours(DEFAULT_PERIODS.network_voting_min), ge=1, le=_hours(LONGEST_PERIOD)
    )
    network_voting_max_hours: int = Field(
        default=_hours(DEFAULT_PERIODS.network_voting_max), ge=1, le=_hours(LONGEST_PERIOD)
    )
    network_voting_default_hours: int = Field(
        default=_hours(DEFAULT_PERIODS.network_voting_default), ge=1, le=_hours(LONGEST_PERIOD)
    )
    governance_timelock_seconds: int = Field(
        default=_seconds(DEFAULT_PERIODS.timelock), ge=0, le=_seconds(LONGEST_PERIOD)
    )
    spot_day_seconds: int = Field(
        default=_seconds(DEFAULT_PERIODS.spot_day), ge=1, le=_seconds(LONGEST_PERIOD)
    )

    @field_validator("cors_origins", "chain_rpc_urls", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.hotpot_env is Environment.PRODUCTION:
            for name, dev_value in SECRET_VARIABLES.items():
                value = getattr(self, name.lower())
                if not value:
                    raise ConfigError(f"{name} must be set when HOTPOT_ENV=production")
                if value == dev_value:
                    raise ConfigError(
                        f"{name} is the development default; set a real secret for production"
                    )
            if self.jwt_secret is not None and len(self.jwt_secret) < 32:
                raise ConfigError("JWT_SECRET must be at least 32 characters in production")
            if self.receipt_code_secret is not None and len(self.receipt_code_secret) < 32:
                raise ConfigError(
                    "RECEIPT_CODE_SECRET must be at least 32 characters in production"
                )
            for name, dev_value in DEV_ADDRESSES.items():
                if getattr(self, name.lower()) == dev_value:
                    raise ConfigError(f"{name} is the development default; set the real address")
            if self.password_hash_profile != "rfc9106-low-memory":
                raise ConfigError("PASSWORD_HASH_PROFILE must not be lowered in production")
            if not self.database_url:
                raise ConfigError("DATABASE_URL must be set when HOTPOT_ENV=production")
            if not self.public_base_url:
                raise ConfigError("PUBLIC_BASE_URL must be set when HOTPOT_ENV=production")
            # Only the relay signs; it refuses to start without a key in production.
            if (self.relay_private_key or "").lower().removeprefix("0x") == (
                DEV_RELAY_PRIVATE_KEY.removeprefix("0x")
            ):
                raise ConfigError("RELAY_PRIVATE_KEY is the development default (anvil's key)")
        if self.encryption_key:
            _decode_key(self.encryption_key)
        if self.metrics_listener_port and self.metrics_listener_port == self.port:
            raise ConfigError("METRICS_PORT must differ from PORT (the public API's port)")
        return self

    @model_validator(mode="after")
    def _periods_fit_together(self) -> Settings:
        voting = (
            self.network_voting_min_hours,
            self.network_voting_default_hours,
            self.network_voting_max_hours,
        )
        if not voting[0] <= voting[1] <= voting[2]:
            raise ConfigError(
                "NETWORK_VOTING_MIN_HOURS <= NETWORK_VOTING_DEFAULT_HOURS <= "
                "NETWORK_VOTING_MAX_HOURS must hold, got {} / {} / {}".format(*voting)
            )
        try:
            self.periods  # noqa: B018  (built here so that bad periods stop the start)
        except InvalidPeriods as exc:
            raise ConfigError(f"periods: {exc}") from exc
        return self

    @property
    def is_production(self) -> bool:
        return self.hotpot_env is Environment.PRODUCTION

    @property
    def metrics_listener_port(self) -> int:
        """The port of `serve`'s own /metrics listener (0: none)."""
        if self.metrics_port is None:
            return DEFAULT_PRODUCTION_METRICS_PORT if self.is_production else 0
        return self.metrics_port

    @property
    def metrics_on_api_port(self) -> bool:
        """Development without METRICS_PORT keeps /metrics on the API's port."""
        return self.metrics_port is None and not self.is_production

    @property
    def signing_key(self) -> str | None:
        """The relay's key if this process has one (anvil's outside production); without it
        the chain client only reads (the API in production: only the relay gets the key)."""
        if self.relay_private_key or not self.is_production:
            return self.effective_relay_private_key
        return None

    @property
    def effective_relay_private_key(self) -> str:
        """The relay's signing key; anvil's dev key only outside production."""
        if self.relay_private_key:
            return self.relay_private_key
        if self.is_production:
            raise ConfigError("RELAY_PRIVATE_KEY must be set when HOTPOT_ENV=production")
        return DEV_RELAY_PRIVATE_KEY

    @property
    def effective_public_base_url(self) -> str:
        """Where customers open links the service prints (claim page, receipt QR)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return self.listen_url

    @property
    def listen_url(self) -> str:
        """This process's own address, as a browser on this machine reaches it."""
        host = "localhost" if _is_wildcard(self.host) else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def effective_jwt_secret(self) -> str:
        return self.jwt_secret or DEV_JWT_SECRET

    @property
    def effective_receipt_code_secret(self) -> bytes:
        return (self.receipt_code_secret or DEV_RECEIPT_CODE_SECRET).encode()

    @cached_property
    def encryption_key_bytes(self) -> bytes:
        return _decode_key(self.encryption_key or DEV_ENCRYPTION_KEY)

    @property
    def periods(self) -> Periods:
        """The periods of the rules, as the domain takes them (not cached: a model_copy
        with other periods must not read the old ones)."""
        return Periods(
            receipt_lifetime=timedelta(seconds=self.receipt_lifetime_seconds),
            distribution_period=self.distribution_period,
            dish_voting=timedelta(seconds=self.dish_voting_seconds),
            network_voting_min=timedelta(hours=self.network_voting_min_hours),
            network_voting_max=timedelta(hours=self.network_voting_max_hours),
            network_voting_default=timedelta(hours=self.network_voting_default_hours),
            timelock=timedelta(seconds=self.governance_timelock_seconds),
            spot_day=timedelta(seconds=self.spot_day_seconds),
        )


def load_settings() -> Settings:
    """Read and validate the environment; raise ConfigError naming the variable."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(problems) from exc
