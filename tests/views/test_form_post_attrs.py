"""`{% form_post_attrs %}`: a form that is a page posts normally; as a dialog it posts with htmx and swaps itself."""

from django.template import Context, Template

FORM = Template('{% load envmanager_tags %}<form {% form_post_attrs url %}>')
OVERRIDE_FORM = Template('{% load envmanager_tags %}<form {% form_post_attrs url hx_target="closest .override-wrap" %}>')


def test_a_page_form_posts_without_htmx():
    assert FORM.render(Context({"url": "/w/1/delete/"})) == '<form method="post" action="/w/1/delete/">'


def test_a_dialog_form_posts_with_htmx_and_replaces_itself():
    html = FORM.render(Context({"url": "/w/1/delete/", "dialog": True}))
    assert html == (
        '<form method="post" action="/w/1/delete/" hx-post="/w/1/delete/" hx-target="this" hx-swap="outerHTML">'
    )


def test_the_swap_target_can_be_named_and_the_url_is_escaped():
    html = OVERRIDE_FORM.render(Context({"url": '/x/?a=1&b="2"', "dialog": True}))
    assert 'action="/x/?a=1&amp;b=&quot;2&quot;"' in html and 'hx-post="/x/?a=1&amp;b=&quot;2&quot;"' in html
    assert 'hx-target="closest .override-wrap"' in html
