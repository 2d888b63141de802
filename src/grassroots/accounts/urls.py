from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/sms/", views.sms_login_view, name="sms_login"),
    path("sms-code/", views.sms_code_view, name="sms_code"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("2fa/", views.otp_view, name="otp"),
    path("security/", views.security_view, name="security"),
]
