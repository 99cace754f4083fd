from tests.support import Api


async def test_admin_creates_an_office_and_reads_it_back(api: Api, admin_token: str) -> None:
    office_id = await api.office(admin_token, slug="centro")

    data = await api.run("query($id: ID!) { office(id: $id) { slug name timezone } }", {"id": office_id})

    assert data["office"] == {"slug": "centro", "name": "Office centro", "timezone": "America/Argentina/Cordoba"}
