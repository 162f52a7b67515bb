"""Every request body refuses wrong types and nulls with a 422 naming the field.

The walk reads the app's own OpenAPI document, so a body added later is covered without
editing this file: for every field of every JSON request body (nested objects and array
items included) it sends values of the wrong JSON type (a boolean for a number, a number
for a boolean, "0" for a number, null where null is not allowed) and expects a
`validation_error` problem whose `errors[].loc` ends with that field. Values the JSON form
carries as strings (UUIDs, enums, constants) must still be accepted at that field.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hotpot.app import create_app
from tests.conftest import make_settings
from tests.support import World, ok

Schema = dict[str, Any]
Path = tuple[str | int, ...]


def _spec() -> dict[str, Any]:
    # The document is the app's own; building the app opens no connection.
    return create_app(make_settings("postgresql://unused@127.0.0.1:9/unused", None)).openapi()


SPEC = _spec()


def _resolve(schema: Schema) -> Schema:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def _variants(schema: Schema) -> list[Schema]:
    """The alternatives of a union (a nullable field's `null` branch left out)."""
    schema = _resolve(schema)
    for key in ("oneOf", "anyOf"):
        if key in schema and "properties" not in schema:
            found = []
            for option in schema[key]:
                if _resolve(option).get("type") != "null":
                    found.extend(_variants(option))
            return found
    return [schema]


def _nullable(schema: Schema) -> bool:
    schema = _resolve(schema)
    options = schema.get("anyOf", []) + schema.get("oneOf", [])
    return schema.get("type") == "null" or any(_resolve(o).get("type") == "null" for o in options)


def _tags(schema: Schema) -> dict[str, Any]:
    """The discriminating constants a union member needs to be picked at all."""
    tags: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop)
        if "const" in prop:
            tags[name] = prop["const"]
        elif name in ("role", "type", "kind") and "enum" in prop:
            tags[name] = prop["enum"][0]
    return tags


def _wrong_values(schema: Schema) -> list[Any]:
    """JSON values of the wrong type for a field of this schema."""
    kinds = {_resolve(v).get("type") for v in _variants(schema)}
    wrong: list[Any] = [] if _nullable(schema) else [None]
    if "integer" in kinds:
        wrong += [True, False, "0", "1", 1.5]
    if "boolean" in kinds:
        wrong += [0, 1, "true", "false"]
    if "string" in kinds:
        wrong += [0, 12, False]
    if "array" in kinds:
        wrong += ["x", {}]
    if "object" in kinds:
        wrong += ["x", []]
    return wrong


def _string_carried(schema: Schema) -> Any:
    """A valid JSON value for a field JSON carries as a string (uuid, enum), else None."""
    for option in _variants(schema):
        if option.get("format") == "uuid":
            return str(uuid.uuid4())
        if "enum" in option and option.get("type") == "string":
            return option["enum"][-1]
    return None


def _cases(schema: Schema, path: Path = ()) -> Iterator[tuple[Path, Any, Schema]]:
    """(path of a field, a template body around it, the field's schema) for every field."""
    for variant in _variants(schema):
        if variant.get("type") != "object":
            continue
        tags = _tags(variant)
        for name, prop in variant.get("properties", {}).items():
            yield (*path, name), tags, prop
            for inner in _variants(prop):
                if inner.get("type") == "object":
                    for sub, template, sub_schema in _cases(inner, (name,)):
                        yield (*path, *sub), {**tags, name: template}, sub_schema
                elif inner.get("type") == "array" and "items" in inner:
                    for sub, template, sub_schema in _cases(inner["items"], (name, 0)):
                        yield (*path, *sub), {**tags, name: [template]}, sub_schema


def _put(body: Any, path: Path, value: Any) -> Any:
    """A deep copy of `body` with the field at `path` set to `value`."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) and body else [{}]
        items[head] = _put(items[head], rest, value)
        return items
    copy = dict(body)
    copy[head] = _put(copy.get(head, {}), rest, value)
    return copy


def _body_operations() -> list[tuple[str, str, Schema]]:
    found = []
    for route, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((route, method, content["application/json"]["schema"]))
    return found


BODY_OPERATIONS = _body_operations()
ROLES = ("owner", "customer", "terminal", "compliance", "chef", "cashier", "franchisee")


def _url(route: str) -> str:
    # Any id: the body is refused before the handler looks anything up.
    while "{" in route:
        start, end = route.index("{"), route.index("}")
        route = route[:start] + str(uuid.uuid4()) + route[end + 1 :]
    return route


def _field_errors(response: httpx.Response, path: Path) -> list[dict[str, Any]]:
    wanted = [str(part) for part in path]
    errors = response.json().get("errors", []) if response.content else []
    return [e for e in errors if e["loc"][-len(wanted) :] == wanted]


async def _refused_role(
    client: httpx.AsyncClient, world: World, method: str, url: str, body: Any
) -> str:
    """The first role whose request reaches body validation (a 422, not a 401/403)."""
    for role in ROLES:
        response = await client.request(method, url, json=body, headers=world.auth(role))
        if response.status_code == 422:
            return role
    raise AssertionError(f"no role reaches body validation of {method.upper()} {url}")


async def _snapshot(client: httpx.AsyncClient, world: World) -> Any:
    owner = world.auth("owner")
    return [
        ok(await client.get(path, params={"limit": 100}, headers=owner))
        for path in (
            "/api/v1/nodes",
            "/api/v1/menu/items",
            "/api/v1/governance/proposals",
            "/api/v1/staff",
        )
    ]


def test_the_walk_covers_every_write_route() -> None:
    routes = {f"{method.upper()} {route}" for route, method, _ in BODY_OPERATIONS}
    assert len(routes) >= 20
    for expected in ("PATCH /api/v1/menu/items/{item_id}", "PATCH /api/v1/nodes/{node_id}"):
        assert expected in routes


@pytest.mark.parametrize(
    ("route", "method", "schema"),
    BODY_OPERATIONS,
    ids=[f"{method.upper()} {route}" for route, method, _ in BODY_OPERATIONS],
)
async def test_every_body_refuses_wrong_types_naming_the_field(
    route: str, method: str, schema: Schema, client: httpx.AsyncClient, world: World
) -> None:
    url = _url(route)
    cases = list(_cases(schema))
    before = await _snapshot(client, world)
    role = await _refused_role(client, world, method, url, {"not_a_field": 1})
    accepted = []
    for path, template, field_schema in cases:
        for value in _wrong_values(field_schema):
            body = _put(template, path, value)
            response = await client.request(method, url, json=body, headers=world.auth(role))
            if (
                response.status_code != 422
                or response.json().get("code") != "validation_error"
                or not _field_errors(response, path)
            ):
                accepted.append((path, value, response.status_code, response.text[:200]))
        good = _string_carried(field_schema)
        if good is not None:
            response = await client.request(
                method, url, json=_put(template, path, good), headers=world.auth(role)
            )
            assert response.status_code >= 500 or not _field_errors(response, path), (
                f"{path} refused its JSON form {good!r}: {response.text[:300]}"
            )
            assert response.status_code < 500, response.text
    assert not accepted, f"{method.upper()} {route} did not refuse: {accepted}"
    assert await _snapshot(client, world) == before


async def test_a_body_of_the_wrong_json_type_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    for body in ([], "x", 0, None, True):
        response = await client.post("/api/v1/nodes", json=body, headers=world.auth("owner"))
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "validation_error"


# The cases issue 10 named: each gave a 500 or was taken as another type.


async def _item(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    item_id = await world.item()
    found = ok(await client.get(f"/api/v1/menu/items/{item_id}", headers=world.auth("owner")))
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize(
    "field", ["cooking_minutes", "name", "price_tetri", "priority", "description", "status"]
)
async def test_null_on_a_menu_item_field_is_a_422_naming_it(
    field: str, client: httpx.AsyncClient, world: World
) -> None:
    item = await _item(client, world)
    url = f"/api/v1/menu/items/{item['id']}"
    response = await client.patch(url, json={field: None}, headers=world.auth("owner"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert [e["loc"] for e in problem["errors"]] == [["body", field]]
    assert ok(await client.get(url, headers=world.auth("owner"))) == item


@pytest.mark.parametrize("field", ["name", "city", "active"])
async def test_null_on_a_node_field_is_a_422_naming_it(
    field: str, client: httpx.AsyncClient, world: World
) -> None:
    url = f"/api/v1/nodes/{world.node_a}"
    before = ok(await client.get("/api/v1/nodes", headers=world.auth("owner")))
    response = await client.patch(url, json={field: None}, headers=world.auth("owner"))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]
    assert ok(await client.get("/api/v1/nodes", headers=world.auth("owner"))) == before


async def test_a_node_franchisee_may_still_be_cleared_with_null(
    client: httpx.AsyncClient, world: World
) -> None:
    """`owner_account_id` is the one nullable PATCH field: null removes the franchisee."""
    created = ok(
        await client.post(
            "/api/v1/nodes",
            json={"name": "C", "city": "Kutaisi", "type": "FRANCHISE"},
            headers=world.auth("owner"),
        ),
        201,
    )
    patched = ok(
        await client.patch(
            f"/api/v1/nodes/{created['id']}",
            json={"owner_account_id": None, "name": "C2"},
            headers=world.auth("owner"),
        )
    )
    assert patched["owner_account_id"] is None and patched["name"] == "C2"


async def test_zero_is_not_a_boolean(client: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/nodes/{world.node_a}"
    before = ok(await client.get("/api/v1/nodes", headers=world.auth("owner")))
    for value in (0, 1, "false"):
        response = await client.patch(url, json={"active": value}, headers=world.auth("owner"))
        assert response.status_code == 422, (value, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", "active"]
    assert ok(await client.get("/api/v1/nodes", headers=world.auth("owner"))) == before


async def test_false_is_not_a_number(client: httpx.AsyncClient, world: World) -> None:
    body = {
        "name": "Dish with false kcal",
        "price_tetri": 1500,
        "ingredients": [{"name": "broth", "grams": 300, "kcal": False}],
    }
    response = await client.post("/api/v1/menu/items", json=body, headers=world.auth("owner"))
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "ingredients", "0", "kcal"]]
    items = ok(
        await client.get("/api/v1/menu/items", params={"limit": 100}, headers=world.auth("owner"))
    )
    assert all(item["name"] != body["name"] for item in items["items"])


async def test_a_numeric_string_is_not_a_number(client: httpx.AsyncClient, world: World) -> None:
    item = await _item(client, world)
    url = f"/api/v1/menu/items/{item['id']}"
    for field in ("price_tetri", "priority", "cooking_minutes"):
        response = await client.patch(url, json={field: "7"}, headers=world.auth("owner"))
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", field]
    response = await client.put(
        f"/api/v1/nodes/{world.node_a}/availability/{item['id']}",
        json={"portions": "0"},
        headers=world.auth("owner"),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == [
        "body",
        "portions",
    ]
    assert ok(await client.get(url, headers=world.auth("owner"))) == item


async def test_a_whole_number_written_with_a_point_is_an_integer(
    client: httpx.AsyncClient, world: World
) -> None:
    """JSON Schema's "integer" includes 427.0, so the API takes it (schemathesis found it)."""
    item = await _item(client, world)
    url = f"/api/v1/nodes/{world.node_a}/availability/{item['id']}"
    stocked = ok(await client.put(url, json={"portions": 427.0}, headers=world.auth("owner")))
    assert stocked["portions"] == 427 and isinstance(stocked["portions"], int)
    response = await client.put(url, json={"portions": 4.5}, headers=world.auth("owner"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "portions"]


async def test_a_number_is_not_a_string(client: httpx.AsyncClient, world: World) -> None:
    item = await _item(client, world)
    url = f"/api/v1/menu/items/{item['id']}"
    response = await client.patch(url, json={"name": 0}, headers=world.auth("owner"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    assert ok(await client.get(url, headers=world.auth("owner"))) == item


async def test_ids_and_enums_still_arrive_as_json_strings(
    client: httpx.AsyncClient, world: World
) -> None:
    """Strict types must not refuse what JSON can only carry as a string."""
    item = await _item(client, world)
    patched = ok(
        await client.patch(
            f"/api/v1/menu/items/{item['id']}",
            json={"status": "RETIRED", "priority": 3},
            headers=world.auth("owner"),
        )
    )
    assert patched["status"] == "RETIRED" and patched["priority"] == 3
    item_id = await world.item()
    order = await world.order(world.tokens["customer"], world.node_a, item_id)
    assert order["node_id"] == world.node_a
    moved = ok(await world.move("cashier", order["id"], "CONFIRMED"))
    assert moved["status"] == "CONFIRMED"


async def test_an_id_is_the_canonical_uuid_form_only(
    client: httpx.AsyncClient, world: World
) -> None:
    """`format: uuid` is 8-4-4-4-12: the other spellings lax parsing takes are refused."""
    item_id = await world.item()
    node = uuid.UUID(world.node_a)
    for spelling in (node.hex, f"{{{node}}}", node.urn, 12):
        response = await client.post(
            "/api/v1/orders",
            json={"node_id": spelling, "lines": [{"item_id": item_id, "quantity": 1}]},
            headers=world.auth("customer"),
        )
        assert response.status_code == 422, (spelling, response.text)
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "node_id"]]
