"""``connectors.webchat.WebChatInput``: the web chat input channel (credentials.yml key).

Speaks Rasa's socket.io protocol on ``socketio_path`` (python-socketio, Sanic mode) and
serves the widget, its settings and the demo page under /webhooks/webchat/. The pieces are
made here from the configuration and injected: the authenticator (anonymous only, or the
test login), the signed session ids, the rate limiter and the history from the tracker store.

With ``ASSISTANT_REDIS_URL`` set (common/shared_state.py) several replicas serve one
chat: socket.io emits go through Redis (python-socketio's ``AsyncRedisManager``), so a reply
to a session's room reaches its tabs on every replica, and the session locks and rate limits
are kept in Redis. Each socket stays on the replica it connected to; the widget uses
WebSocket only, so it needs no sticky sessions (long-polling clients do: docs/scale-out.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.i18n import Catalogs
from bot.support import load_support_line
from common.shared_state import RedisHandle, RedisLocks, SharedState
from connectors.base.handoff_outlets import register_outlet
from connectors.base.handoff_relay import HandoffRelay, relay_from_env
from connectors.base.ratelimit import Limiter, RateLimiter, RedisRateLimiter
from connectors.base.redaction import phrase_translator
from connectors.webchat.config import WebChatConfig, parse_config
from connectors.webchat.demo_tokens import DemoTokenMinter, add_demo_token_route
from connectors.webchat.handoff_outlet import WebChatOutlet
from connectors.webchat.history import HistorySource, TrackerHistory
from connectors.webchat.origins import OriginPolicy
from connectors.webchat.person_lookup import HttpPersonLookup
from connectors.webchat.session_token import SessionTokenAuthenticator, SessionTokenSettings
from connectors.webchat.sessions import AnonymousOnly, SessionAuthenticator, SessionIds
from connectors.webchat.socket_events import CHANNEL_NAME, ChatEvents, OnNewMessage
from connectors.webchat.static import add_routes

logger = logging.getLogger(__name__)


def make_authenticator(config: WebChatConfig,
                       minter: DemoTokenMinter | None = None) -> SessionAuthenticator:
    if config.test_login and minter is not None and config.backend is not None:
        logger.warning("web chat: TEST LOGIN IS ON (demo tokens); never use this "
                       "configuration in production")
        return SessionTokenAuthenticator(minter.settings(), HttpPersonLookup(config.backend))
    if config.session_token and config.backend is not None:
        # The page's Mina sidor session token (JWT), verified before anything is bound.
        return SessionTokenAuthenticator(SessionTokenSettings.from_config(config.session_token),
                                         HttpPersonLookup(config.backend))
    return AnonymousOnly()


class _SocketBlueprint(Blueprint):
    """Registers the socket.io endpoint on the app itself: its path is absolute."""

    def __init__(self, sio: AsyncServer, origins: OriginPolicy, socketio_path: str,
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Sanic forbids attributes on blueprints; ctx is the place for them.
        self.ctx.sio = sio
        self.ctx.origins = origins
        self.ctx.socketio_path = socketio_path

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        sio: AsyncServer = self.ctx.sio
        origins: OriginPolicy = self.ctx.origins

        async def socketio_endpoint(request: Request) -> HTTPResponse:
            origin = request.headers.get("origin")
            # A WebSocket upgrade has scheme ws/wss; the page's origin is http/https.
            scheme = {"ws": "http", "wss": "https"}.get(request.scheme, request.scheme)
            host_origin = f"{scheme}://{request.host}"
            # engine.io's own check is off so that its CORS headers do not double Rasa's
            # (--cors); this answers a page that is not allowed with a clear 403.
            if origin and not origins.allows(origin, {"wsgi.url_scheme": scheme,
                                                      "HTTP_HOST": request.host}):
                logger.info("web chat: refused a connection from origin %s", origin[:100])
                return response.json({"error": "origin not allowed", "origin": origin,
                                      "server": host_origin}, status=403)
            reply: HTTPResponse = await sio.handle_request(request)
            return reply

        app.add_route(socketio_endpoint, f"{self.ctx.socketio_path}/",
                      methods=["GET", "POST", "OPTIONS"], name="webchat_socketio")
        app.enable_websocket()  # type: ignore[no-untyped-call]
        super().register(app, options)  # type: ignore[no-untyped-call]


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> WebChatInput:
        config = parse_config(credentials)
        minter = DemoTokenMinter.from_env() if config.test_login else None
        # The agent desk (AGENTDESK_URL): unset, no relay and the chat is as it was.
        handoffs = relay_from_env(phrase_translator(Catalogs()), load_support_line().phone)
        return cls(config, make_authenticator(config, minter), minter=minter,
                   shared=SharedState.from_env(), handoffs=handoffs)

    def __init__(self, config: WebChatConfig,
                 authenticator: SessionAuthenticator | None = None,
                 history: HistorySource | None = None,
                 catalogs: Catalogs | None = None,
                 minter: DemoTokenMinter | None = None,
                 shared: SharedState | None = None,
                 handoffs: HandoffRelay | None = None) -> None:
        self.config = config
        self._handoffs = handoffs
        self._shared = shared or SharedState()
        self._minter = minter
        self._authenticator = authenticator or AnonymousOnly()
        self._history = history
        self._catalogs = catalogs or Catalogs()
        self._events: ChatEvents | None = None

    def get_output_channel(self) -> OutputChannel | None:
        """For replies Rasa sends outside a turn (reminders, /conversations API)."""
        return self._events.output() if self._events is not None else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        config, shared = self.config, self._shared
        handle = RedisHandle(shared) if shared.enabled else None
        manager = None
        if shared.enabled:
            manager = AsyncRedisManager(str(shared.url), channel=f"{shared.prefix}webchat")
        sio = AsyncServer(async_mode="sanic", client_manager=manager, cors_allowed_origins=[],
                          max_http_buffer_size=config.max_frame_bytes,
                          logger=False, engineio_logger=False)
        blueprint = _SocketBlueprint(sio, OriginPolicy(config.allowed_origins),
                                     config.socketio_path, "webchat_webhook", __name__)
        app_holder: dict[str, Sanic] = {}

        def tracker_store() -> Any:
            app = app_holder.get("app")
            agent = getattr(app.ctx, "agent", None) if app is not None else None
            return getattr(agent, "tracker_store", None)

        history = self._history or TrackerHistory(tracker_store, config.history_limit)
        limiter: Limiter = RateLimiter(config.rate_limit)
        address_limiter: Limiter = RateLimiter(config.new_sessions_per_address)
        if handle is not None:
            limiter = RedisRateLimiter(handle, config.rate_limit)
            address_limiter = RedisRateLimiter(handle, config.new_sessions_per_address,
                                               namespace="webchat-address")
        events = ChatEvents(sio, config, self._authenticator, SessionIds(config.session_secret),
                            history, on_new_message, limiter=limiter,
                            locks=RedisLocks(handle, "webchat") if handle else None,
                            address_limiter=address_limiter, handoffs=self._handoffs)
        events.register()
        self._events = events

        async def remember_app(app: Sanic, _: Any) -> None:
            app_holder["app"] = app
            if self._handoffs is not None:  # the desk's deliveries come in on its own routes
                register_outlet(app, "web", WebChatOutlet(events.room_emitter(),
                                                          phrase_translator(self._catalogs)))
            if manager is not None and not sio.manager_initialized:
                # Listen to the other replicas now, not only after this one's first client.
                sio.manager_initialized = True
                manager.initialize()
                logger.info("web chat: sessions shared through %s", shared.describe())

        async def close(_: Sanic, __: Any) -> None:
            await self._authenticator.close()
            if self._handoffs is not None:
                await self._handoffs.desk.close()
            if handle is not None:
                await handle.close()

        blueprint.listener(remember_app, "before_server_start")
        blueprint.listener(close, "after_server_stop")

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        blueprint.add_route(health, "/", methods=["GET"], name="webchat_health")
        add_routes(blueprint, config, self._catalogs)
        if self._minter is not None:
            add_demo_token_route(blueprint, self._minter)
        return blueprint
