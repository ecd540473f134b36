"""HEAD on the page and on /healthz (uptime checks and load balancers send it): 200 and no body, over real HTTP."""

import httpx


def test_head_of_the_page_and_healthz_answers_200_without_a_body(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        for path in ("/", "/healthz"):
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.content == b"" and got.content, path
            assert head.headers["content-type"] == got.headers["content-type"], path
