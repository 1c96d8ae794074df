"""Which method a job may ask for: what the engine's trained models cover, checked at submit."""

from tests.api.conftest import job_files


class WithTransformer:
    """Adds a transformer trained on one preset to the fake engine's models."""

    @staticmethod
    def fast_models():
        return {"feedforward": ["starry_night"], "transformer": ["the_scream"]}


async def test_a_preset_with_a_trained_model_takes_its_method(client, fake):
    r = await client.post(
        "/stylize",
        files=job_files(style=False),
        data={"preset": "starry_night", "method": "feedforward", "size": "64"},
    )
    assert r.status_code == 200, r.text
    assert fake.calls[-1].method == "feedforward"


async def test_a_method_without_a_model_is_refused_naming_what_is_there(client, fake):
    r = await client.post(
        "/jobs",
        files=job_files(style=False),
        data={"preset": "the_scream", "method": "feedforward"},
    )
    assert r.status_code == 422
    assert "preset the_scream" in r.text and "available: gatys" in r.text
    r = await client.post("/jobs", files=job_files(), data={"method": "gan"})
    assert r.status_code == 422 and "an uploaded style image" in r.text
    assert fake.calls == []


async def test_uploaded_paintings_go_to_the_transformer_when_there_is_one(settings, fake):
    import httpx
    from asgi_lifespan import LifespanManager

    from api.main import create_app

    fake.fast_models = WithTransformer.fast_models
    app = create_app(settings, stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.post(
                "/stylize", files=job_files(), data={"method": "transformer", "size": "64"}
            )
            assert r.status_code == 200, r.text
            r = await client.post("/jobs", files=job_files(), data={"method": "feedforward"})
            assert r.status_code == 422
            assert "available: gatys, transformer" in r.text
