from tests.wechat_support import court_case, identity_services, make_user, wechat  # noqa: F401
