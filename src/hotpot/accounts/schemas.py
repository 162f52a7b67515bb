"""Request and response bodies of the accounts slice."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from hotpot.validation import Id, Out, Strict, line

Password = line(min_length=10, max_length=128)
# The schema's own pattern is the whole rule, so what the OpenAPI document allows is
# exactly what the server accepts.
EmailStr = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$",
    ),
]
Phone = Field(default=None, pattern=r"^\+?[0-9 ()-]{7,20}$")


class RegisterIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            ]
        }
    )

    email: EmailStr | None = None
    phone: str | None = Phone
    password: str = Password
    name: str | None = line(default=None)

    @model_validator(mode="after")
    def _one_identity(self) -> RegisterIn:
        if self.email is None and self.phone is None:
            raise ValueError("give an email or a phone number")
        return self


class LoginIn(Strict):
    login: str = line(min_length=3, max_length=254, description="email or phone")
    password: str = line(min_length=1, max_length=128)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenPair(Out):
    access_token: str
    refresh_token: str | None = None
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class SiweNonceOut(Out):
    nonce: str
    expires_in: int


class SiweIn(Strict):
    message: str = Field(min_length=50, max_length=4000)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class _StaffBase(Strict):
    email: EmailStr
    password: str = Password
    name: str | None = line(default=None)


class OfficeStaffIn(_StaffBase):
    """Staff who are not tied to one restaurant (a franchisee's nodes come from the nodes)."""

    role: Literal["owner", "franchisee", "compliance"]


class NodeStaffIn(_StaffBase):
    """Kitchen and till staff work at one node."""

    role: Literal["chef", "cashier"]
    node_id: Id


StaffIn = Annotated[OfficeStaffIn | NodeStaffIn, Field(discriminator="role")]


class TerminalLoginIn(Strict):
    terminal_id: Id
    secret: str = line(min_length=10, max_length=200)


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
