"""The settings the suite runs under (applied with override_settings around each test)."""

SETTINGS = {
    "SECRET_KEY": "corskit-peer-suite-only",
    "ALLOWED_HOSTS": ["*"],
    "ROOT_URLCONF": "peers.django_site.urls",
    "MIDDLEWARE": ["peers.shim_corsheaders.CorsMiddleware"],
    "SECURE_PROXY_SSL_HEADER": ("HTTP_FAKE_SECURE", "true"),
    "USE_TZ": True,
}
