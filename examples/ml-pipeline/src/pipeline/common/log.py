import structlog


def get_logger(stage: str) -> structlog.BoundLogger:
    return structlog.get_logger().bind(stage=stage)
