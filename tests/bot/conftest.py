from tests.support.wechat import court_case, identity_services, make_user, wechat  # noqa: F401
