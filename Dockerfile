# syntax=docker/dockerfile:1
# Build stage: wheels for Stockhand and its pinned dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY backend backend
COPY scanner scanner
RUN pip wheel --no-cache-dir --wheel-dir /wheels --constraint constraints.txt .

# Run stage: the wheels, the PWA's static files, libzbar0 for the barcode decoder and a
# Chinese font for PDF labels.
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzbar0 fonts-dejavu-core fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 stockhand
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY pwa/static pwa/static
RUN mkdir var && chown stockhand var
USER stockhand
ENV STOCKHAND_STATIC_DIR=/app/pwa/static \
    DATABASE_URL=sqlite+aiosqlite:////app/var/stockhand.db
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["sh", "-c", "stockhand migrate && stockhand serve --host 0.0.0.0 --port 8000"]
