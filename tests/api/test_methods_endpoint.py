"""GET /methods: what the running engine serves, from core.params and core.options."""

from __future__ import annotations

from api.main import create_app
from api.settings import Settings
from core.options import APPLIES_TO
from core.presets import PRESETS


async def test_lists_the_served_methods_with_their_kind_presets_and_options(client):
    response = await client.get("/methods")
    assert response.status_code == 200
    methods = {m["id"]: m for m in response.json()}
    # The fake engine serves gatys for every preset and feedforward for starry_night only.
    assert list(methods) == ["gatys", "feedforward"]
    gatys, feedforward = methods["gatys"], methods["feedforward"]
    assert gatys["one_pass"] is False and gatys["any_painting"] is True
    assert gatys["presets"] == [p.id for p in PRESETS]
    assert feedforward["one_pass"] is True and feedforward["any_painting"] is False
    assert feedforward["presets"] == ["starry_night"]
    assert set(gatys["options"]) == set(APPLIES_TO) - {"temporal"}  # it paints no clips
    assert "steps" not in feedforward["options"] and "size" in feedforward["options"]
    assert "init" not in feedforward["options"] and "temporal" in feedforward["options"]
    assert gatys["clips"] is False and feedforward["clips"] is True


async def test_needs_the_key_when_one_is_set(fake):
    from asgi_lifespan import LifespanManager
    from httpx import ASGITransport, AsyncClient

    app = create_app(Settings(warm_up=False, api_key="k1"), stylizer=fake)
    async with LifespanManager(app):
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.get("/methods")).status_code == 401
            ok = await c.get("/methods", headers={"Authorization": "Bearer k1"})
            assert ok.status_code == 200


async def test_in_the_openapi_schema(app):
    schema = app.openapi()
    assert schema["paths"]["/methods"]["get"]["operationId"] == "list_methods"
    fields = schema["components"]["schemas"]["MethodPublic"]["properties"]
    assert {"id", "one_pass", "any_painting", "presets", "options"} <= set(fields)
