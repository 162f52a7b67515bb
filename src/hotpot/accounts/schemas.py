"""Request and response bodies of the accounts slice."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import EmailStr, Field, model_validator

from hotpot.http.schemas import Out, Strict

Password = Field(min_length=10, max_length=128)
Phone = Field(default=None, pattern=r"^\+?[0-9 ()-]{7,20}$")
StaffRole = Literal["owner", "franchisee", "chef", "cashier", "compliance"]


class RegisterIn(Strict):
    email: EmailStr | None = None
    phone: str | None = Phone
    password: str = Password
    name: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_identity(self) -> RegisterIn:
        if self.email is None and self.phone is None:
            raise ValueError("give an email or a phone number")
        return self


class LoginIn(Strict):
    login: str = Field(min_length=3, max_length=254, description="email or phone")
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenPair(Out):
    access_token: str
    refresh_token: str | None = None
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


class SiweNonceOut(Out):
    nonce: str
    expires_in: int


class SiweIn(Strict):
    message: str = Field(min_length=50, max_length=4000)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class StaffIn(Strict):
    email: EmailStr
    password: str = Password
    role: StaffRole
    node_id: UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=100)


class TerminalLoginIn(Strict):
    terminal_id: UUID
    secret: str = Field(min_length=10, max_length=200)


class AccountOut(Out):
    id: UUID
    role: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    wallet_address: str | None = None
    wallet_custodial: bool
    kyc_status: str
    node_id: UUID | None = None
