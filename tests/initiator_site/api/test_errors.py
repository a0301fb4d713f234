"""The API's own error answers where Django would answer first."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/workflows/0.5/", "/api/v1/runs/1.2/retry/", "/api/v1/nothing-here/"]
)
def test_an_api_path_no_route_matches_is_the_apis_json_404(api_client, member, path):
    # Given a signed-in member, When a path under /api/ matches no route (an id with a dot)
    api_client.force_authenticate(member)
    response = api_client.get(path)
    # Then the answer is the API's JSON 404, as for an object that is not there
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_other_paths_keep_djangos_404_page(client, member):
    client.force_login(member)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
