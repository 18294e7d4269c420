"""The reader apps' URLs at the site root, where clients look for them (as on Miniflux and FreshRSS)."""

from django.urls import path

from newsdesk.readerapi import fever, greader

app_name = "readerapi"

API = "reader/api/0/"

urlpatterns = [
    path("accounts/ClientLogin", greader.client_login, name="client_login"),
    path(f"{API}token", greader.token, name="token"),
    path(f"{API}user-info", greader.user_info, name="user_info"),
    path(f"{API}subscription/list", greader.subscription_list, name="subscription_list"),
    path(f"{API}subscription/edit", greader.subscription_edit, name="subscription_edit"),
    path(f"{API}subscription/quickadd", greader.quickadd, name="quickadd"),
    path(f"{API}tag/list", greader.tag_list, name="tag_list"),
    path(f"{API}rename-tag", greader.rename_tag, name="rename_tag"),
    path(f"{API}disable-tag", greader.disable_tag, name="disable_tag"),
    path(f"{API}unread-count", greader.unread_count, name="unread_count"),
    path(f"{API}stream/items/ids", greader.stream_item_ids, name="stream_item_ids"),
    path(f"{API}stream/items/contents", greader.stream_items_contents, name="stream_items_contents"),
    path(f"{API}stream/contents", greader.stream_contents, name="reading_list"),
    path(f"{API}stream/contents/<path:stream_id>", greader.stream_contents, name="stream_contents"),
    path(f"{API}edit-tag", greader.edit_tag, name="edit_tag"),
    path(f"{API}mark-all-as-read", greader.mark_all_as_read, name="mark_all_as_read"),
    path(f"{API}<path:rest>", greader.bad_path, name="bad_path"),
    path("fever/", fever.fever, name="fever"),
]
