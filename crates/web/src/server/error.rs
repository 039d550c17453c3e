//! The one mapping from errors to HTTP answers: a status and a JSON body
//! `{"error": {"code": "...", "message": "..."}}`, never a panic or an HTML page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad parameter {name}: {message}")]
    BadParameter { name: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("this needs an admin token: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// The configuration file could not be used (reload).
    #[error("{0}")]
    BadConfig(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::BadParameter { .. } => "bad_parameter",
            ApiError::NotFound(_) => "not_found",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::BadConfig(_) => "bad_config",
            ApiError::Store(StoreError::Pool(_)) => "store_unavailable",
            ApiError::Store(StoreError::TimedOut { .. }) => "store_busy",
            ApiError::Store(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadConfig(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Store(StoreError::Pool(_) | StoreError::TimedOut { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            // Store internals stay in the log, not in the answer.
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error while serving");
                match e {
                    StoreError::Pool(_) => "the store is unreachable; try again shortly".to_owned(),
                    StoreError::TimedOut { .. } => {
                        "the store is busy and took too long; try again shortly".to_owned()
                    }
                    _ => "internal error".to_owned(),
                }
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized) {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(json!({ "error": { "code": self.code(), "message": message } }))
    }
}
