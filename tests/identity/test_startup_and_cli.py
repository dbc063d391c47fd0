"""Start-up refuses unsafe face settings; the operator CLI runs one check."""
import pytest

from app import create_app
from config import StartupRefused
from tests.support.baidu_standin import API_KEY, APP_ID, SECRET_KEY
from tests.support.factories import id_number
from tests.support.identity import face_photo


def test_production_refuses_the_development_verifier(config):
    config.ENV = "production"
    config.FACE_PROVIDER = "development"
    with pytest.raises(StartupRefused) as err:
        create_app(config)
    assert "FACE_PROVIDER=development" in str(err.value) and "ENV=production" in str(err.value)


def test_production_needs_baidu_credentials_and_https(config):
    config.ENV = "production"
    config.FACE_PROVIDER = "baidu"
    config.BAIDU_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(StartupRefused) as err:
        create_app(config)
    message = str(err.value)
    assert "BAIDU_APP_ID is not set" in message and "BAIDU_SECRET_KEY is not set" in message
    assert "https" in message


def test_unknown_provider_is_refused(config):
    config.FACE_PROVIDER = "tencent"
    with pytest.raises(StartupRefused, match="not known"):
        create_app(config)


def test_production_with_baidu_starts(production_config):
    config = production_config
    config.BAIDU_APP_ID, config.BAIDU_API_KEY, config.BAIDU_SECRET_KEY = APP_ID, API_KEY, SECRET_KEY
    app = create_app(config)
    assert app.extensions["identity_settings"].face_provider == "baidu"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from config import Config

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FACE_PROVIDER", "Baidu")
    monkeypatch.setenv("FACE_PASS_SCORE", "85.5")
    monkeypatch.setenv("FACE_FRESH_MINUTES", "5")
    monkeypatch.setenv("BAIDU_API_BASE", "https://aip.example.test/")
    cfg = Config.from_env()
    assert (cfg.FACE_PROVIDER, cfg.FACE_PASS_SCORE, cfg.FACE_FRESH_MINUTES) == ("baidu", 85.5, 5)
    assert cfg.BAIDU_API_BASE == "https://aip.example.test"
    assert cfg.identity.face_fresh_minutes == 5 and cfg.identity.face_provider == "baidu"


def test_cli_face_check_with_baidu(app, use_baidu, standin, tmp_path):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo())
    number = id_number()
    result = app.test_cli_runner().invoke(args=["identity", "face-check", "--consented", str(photo), "--name", "张三",
                                                "--id-number", number])
    assert result.exit_code == 0, result.output
    assert "provider: baidu" in result.output and "PASS" in result.output and "93.46" in result.output
    assert "log id:" in result.output
    assert number not in result.output and number[:4] + "*" * 10 + number[-4:] in result.output


def test_cli_face_check_failure_exits_1(app, use_baidu, standin, tmp_path):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo())
    standin.next_error(222351)
    result = app.test_cli_runner().invoke(args=["identity", "face-check", "--consented", str(photo), "--name", "张三",
                                                "--id-number", id_number()])
    assert result.exit_code == 1
    assert "FAIL (mismatch)" in result.output and "222351" in result.output and "姓名与身份证号码不匹配" in result.output


def test_cli_compare_tests_credentials_without_an_identity(app, use_baidu, standin, tmp_path):
    a, b = tmp_path / "a.jpg", tmp_path / "b.png"
    a.write_bytes(face_photo())
    b.write_bytes(face_photo(fmt="PNG"))
    result = app.test_cli_runner().invoke(args=["identity", "face-check", "--consented", str(a), "--name", "测试",
                                                "--id-number", "-", "--against", str(b)])
    assert result.exit_code == 0, result.output
    assert standin.paths()[-1] == "/rest/2.0/face/v3/match"


def test_cli_development_provider_says_so(app, tmp_path):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo())
    result = app.test_cli_runner().invoke(args=["identity", "face-check", "--consented", str(photo), "--name", "张三",
                                                "--id-number", id_number()])
    assert result.exit_code == 0
    assert "development" in result.output and "开发环境" in result.output


def test_cli_rejects_a_bad_id_number(app, tmp_path):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo())
    result = app.test_cli_runner().invoke(args=["identity", "face-check", "--consented", str(photo), "--name", "张三",
                                                "--id-number", "110105194912310021"])
    assert result.exit_code == 2 and "校验位" in result.output


def test_cli_face_check_needs_the_pictured_persons_consent(app, tmp_path):
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo())
    result = app.test_cli_runner().invoke(args=["identity", "face-check", str(photo), "--name", "张三",
                                                "--id-number", id_number()])
    assert result.exit_code == 2 and "单独同意" in result.output and "--consented" in result.output
    assert "PASS" not in result.output and "FAIL" not in result.output  # no provider was asked
