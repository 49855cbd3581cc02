//! Parsing `jdbc:mysql://host:port/db?a=b` and `jdbc:postgresql://…`.

use super::config::Engine;

/// The parts of a JDBC connection string this runner uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JdbcUrl {
    pub(crate) engine: Engine,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) database: Option<String>,
    /// `a=b` pairs after `?`, in order.
    pub(crate) properties: Vec<(String, String)>,
}

/// Why a connection string was not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JdbcUrlError {
    /// Not `jdbc:<driver>:…`, or a driver that is not built in; holds the
    /// driver name (or the whole prefix when there is none).
    UnknownDriver(String),
    /// The host, port or path cannot be read; the reason.
    Malformed(String),
}

/// Parses `url`.
pub(crate) fn parse(url: &str) -> Result<JdbcUrl, JdbcUrlError> {
    let rest = url
        .strip_prefix("jdbc:")
        .ok_or_else(|| JdbcUrlError::UnknownDriver(url.chars().take(16).collect()))?;
    let (driver, rest) = rest.split_once("://").ok_or_else(|| {
        JdbcUrlError::UnknownDriver(rest.split(':').next().unwrap_or(rest).to_owned())
    })?;
    let engine = match driver {
        "mysql" | "mariadb" => Engine::MySql,
        "postgresql" => Engine::Postgres,
        other => return Err(JdbcUrlError::UnknownDriver(other.to_owned())),
    };
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match location.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (location, None),
    };
    if authority.contains('@') {
        return Err(JdbcUrlError::Malformed(
            "credentials in the connection string are not read: use username and *password"
                .to_owned(),
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse()
                .map_err(|_| JdbcUrlError::Malformed(format!("port `{port}` is not a number")))?;
            (host, port)
        }
        None => (authority, engine.default_port()),
    };
    if host.is_empty() {
        return Err(JdbcUrlError::Malformed("no host".to_owned()));
    }
    let properties = query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect();
    Ok(JdbcUrl {
        engine,
        host: host.to_owned(),
        port,
        database: path.filter(|path| !path.is_empty()).map(str::to_owned),
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mysql_and_postgresql_urls() {
        let url = parse("jdbc:mysql://db.example:3307/sales?useSSL=true&x").expect("parse");
        assert_eq!(url.engine, Engine::MySql);
        assert_eq!((url.host.as_str(), url.port), ("db.example", 3307));
        assert_eq!(url.database.as_deref(), Some("sales"));
        assert_eq!(
            url.properties,
            vec![
                ("useSSL".to_owned(), "true".to_owned()),
                ("x".to_owned(), String::new())
            ]
        );
        let url = parse("jdbc:postgresql://pg.example/").expect("parse");
        assert_eq!(
            (url.engine, url.port, url.database),
            (Engine::Postgres, 5432, None)
        );
    }

    #[test]
    fn other_drivers_are_named() {
        assert_eq!(
            parse("jdbc:oracle:thin:@host:1521:orcl"),
            Err(JdbcUrlError::UnknownDriver("oracle".to_owned()))
        );
        assert_eq!(
            parse("jdbc:sqlserver://h:1433"),
            Err(JdbcUrlError::UnknownDriver("sqlserver".to_owned()))
        );
        assert!(matches!(
            parse("jdbc:mysql://h:port/db"),
            Err(JdbcUrlError::Malformed(_))
        ));
    }
}
