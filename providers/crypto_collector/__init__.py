"""The crypto collector adapter: HMAC-signed JSON API, USDT payments priced in USD or LKR.

Modules: ``adapter`` (the factory and the adapter), ``transport`` (signed calls and the
error boundary), ``transformers`` (pure wire <-> domain mapping), ``signing`` (the request
signature), ``options`` (instance options and currency conversion).
"""
