// Starts GraphiQL on the page served by package graphiql. An external file,
// not an inline script, so that the page's Content-Security-Policy can be
// script-src 'self'. Expects window.React, window.ReactDOM and
// window.GraphiQL (loaded before it) and the elements of index.html.
(function () {
  'use strict';

  var STORAGE_KEY = 'sicherkommunal.graphiql.bearerToken';
  var DEFAULT_QUERY = [
    '# Paste an API token into the "Bearer token" field above,',
    '# then run this query with the play button or Ctrl-Enter.',
    '{',
    '  viewer {',
    '    role',
    '    tokenName',
    '  }',
    '}',
    '',
  ].join('\n');

  var container = document.getElementById('graphiql');
  var endpoint = container.getAttribute('data-endpoint') || '/query';
  var form = document.getElementById('sk-token-form');
  var input = document.getElementById('sk-token');
  var showButton = document.getElementById('sk-token-show');
  var clearButton = document.getElementById('sk-token-clear');
  var status = document.getElementById('sk-token-status');

  // sessionStorage: the token lives as long as the tab, never on disk
  // across sessions. It may be unavailable (privacy modes): then the field
  // simply starts empty.
  function loadToken() {
    try {
      return window.sessionStorage.getItem(STORAGE_KEY) || '';
    } catch (e) {
      return '';
    }
  }
  function saveToken(token) {
    try {
      if (token) {
        window.sessionStorage.setItem(STORAGE_KEY, token);
      } else {
        window.sessionStorage.removeItem(STORAGE_KEY);
      }
    } catch (e) {
      // not stored; it still works for this page
    }
  }

  // The token as typed; a pasted "Bearer …" prefix is dropped.
  function currentToken() {
    return input.value.trim().replace(/^bearer\s+/i, '');
  }

  // A fetcher for one token. The token field wins over an Authorization
  // header set in GraphiQL's header editor; without a token that header is
  // sent as it is.
  function makeFetcher(token) {
    return function fetcher(params, opts) {
      var headers = {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json;q=0.9',
      };
      var extra = (opts && opts.headers) || {};
      Object.keys(extra).forEach(function (name) {
        if (token && name.toLowerCase() === 'authorization') {
          return;
        }
        headers[name] = String(extra[name]);
      });
      if (token) {
        headers.Authorization = 'Bearer ' + token;
      }
      return fetch(endpoint, {
        method: 'POST',
        headers: headers,
        body: JSON.stringify(params),
        credentials: 'same-origin',
        cache: 'no-store',
      }).then(function (res) {
        return res.text().then(function (text) {
          try {
            return JSON.parse(text);
          } catch (e) {
            return {
              errors: [{ message: 'HTTP ' + res.status + ' ' + res.statusText + ': ' + text.slice(0, 500) }],
            };
          }
        });
      });
    };
  }

  function showStatus(token) {
    status.textContent = token
      ? 'sent as Authorization: Bearer … with every request'
      : 'not set: ' + endpoint + ' answers 401 without a token';
    status.className = token ? 'sk-ok' : 'sk-missing';
  }

  var root = ReactDOM.createRoot(container);
  var renderedToken = null;
  var fetcher = null;

  // A new fetcher makes GraphiQL load the schema again, so render only
  // when the token really changed.
  function render() {
    var token = currentToken();
    showStatus(token);
    if (token === renderedToken) {
      return;
    }
    renderedToken = token;
    fetcher = makeFetcher(token);
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultQuery: DEFAULT_QUERY,
        defaultEditorToolsVisibility: true,
        inputValueDeprecation: true,
        schemaDescription: true,
        shouldPersistHeaders: false,
      })
    );
  }

  var pending = null;
  function apply() {
    if (pending !== null) {
      window.clearTimeout(pending);
      pending = null;
    }
    saveToken(currentToken());
    render();
  }

  input.value = loadToken();
  input.addEventListener('input', function () {
    saveToken(currentToken());
    showStatus(currentToken());
    if (pending !== null) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(apply, 400);
  });
  input.addEventListener('change', apply);
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    apply();
  });
  showButton.addEventListener('click', function () {
    var shown = input.type === 'text';
    input.type = shown ? 'password' : 'text';
    showButton.textContent = shown ? 'Show' : 'Hide';
    showButton.setAttribute('aria-pressed', String(!shown));
  });
  clearButton.addEventListener('click', function () {
    input.value = '';
    apply();
    input.focus();
  });

  render();
})();
