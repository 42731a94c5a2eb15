<?php
/**
 * Stand-ins for exactly the WordPress and WooCommerce functions the plugin calls.
 *
 * Hooks, options, transients, nonces and escaping behave as WordPress's do; HTTP calls are recorded
 * and answered from a script; redirects and wp_die() end the request by throwing, as exit would.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

define( 'MINUTE_IN_SECONDS', 60 );
define( 'HOUR_IN_SECONDS', 3600 );
define( 'WPSTUB_HOME', 'https://shop.example' );

/** The request ended with a redirect (WordPress code calls exit right after wp_redirect). */
class WPStub_Redirect extends RuntimeException {
	/** @var string */
	public $location;
	/** @var int */
	public $status;
	public function __construct( string $location, int $status ) {
		parent::__construct( "redirect to $location" );
		$this->location = $location;
		$this->status   = $status;
	}
}

/** The request ended with wp_die(). */
class WPStub_Die extends RuntimeException {
	/** @var int */
	public $status;
	public function __construct( string $message, int $status ) {
		parent::__construct( $message );
		$this->status = $status;
	}
}

/** WordPress's error object. */
class WP_Error {
	/** @var string */
	private $code;
	/** @var string */
	private $message;
	/** @var mixed */
	private $data;
	public function __construct( $code = '', $message = '', $data = '' ) {
		$this->code    = (string) $code;
		$this->message = (string) $message;
		$this->data    = $data;
	}
	public function get_error_data() {
		return $this->data;
	}
	public function get_error_code() {
		return $this->code;
	}
	public function get_error_message() {
		return $this->message;
	}
}

/** $wpdb: records delete() calls. */
class WPStub_DB {
	/** @var string */
	public $prefix = 'wp_';
	/** @var array */
	public $deleted = array();
	public function delete( $table, $where, $where_format = null ) {
		$this->deleted[] = array( $table, $where, $where_format );
		return 1;
	}
}

/** Forgets everything: hooks, options, requests, the user, the page. */
// --- WooCommerce's webhooks (WC_Data_Store::load( 'webhook' ), wc_get_webhook, WC_Webhook::delete) ---------

class WPStub_Webhook {
	/** @var int */
	private $id;
	public function __construct( int $id ) {
		$this->id = $id;
	}
	public function get_delivery_url(): string {
		return $GLOBALS['wpstub']['webhooks'][ $this->id ];
	}
	public function delete( $force_delete = false ): bool {
		$GLOBALS['wpstub']['webhooks_deleted'][] = array( $this->id, $force_delete );
		unset( $GLOBALS['wpstub']['webhooks'][ $this->id ] );
		return true;
	}
}

class WPStub_Webhook_Store {
	public function search_webhooks( $args = array() ) {
		$ids = array_keys( $GLOBALS['wpstub']['webhooks'] );
		return ( isset( $args['limit'] ) && $args['limit'] > 0 ) ? array_slice( $ids, 0, $args['limit'] ) : $ids;
	}
}

/** WooCommerce's main class: WooCommerce is active unless the process defines WPSTUB_NO_WOOCOMMERCE first. */
if ( ! defined( 'WPSTUB_NO_WOOCOMMERCE' ) ) {
	class WooCommerce {
	}
}

class WC_Data_Store {
	public static function load( $object_type ) {
		return new WPStub_Webhook_Store();
	}
}

function wc_get_webhook( $id ) {
	return isset( $GLOBALS['wpstub']['webhooks'][ $id ] ) ? new WPStub_Webhook( (int) $id ) : null;
}

function wpstub_reset(): void {
	global $wpdb;
	$wpdb             = new WPStub_DB();
	$_GET             = array();
	$_POST            = array();
	$_REQUEST         = array();
	$GLOBALS['wpstub'] = array(
		'filters'    => array(),
		'actions_run' => array(),
		'options'    => array(),
		'autoload'   => array(),
		'transients' => array(),
		'caps'       => array( 'manage_woocommerce' => true ),
		'user_id'    => 1,
		'responses'  => array(),
		'requests'   => array(),
		'redirects'  => array(),
		'scripts'    => array(),
		'menu'       => array(),
		'locale'     => 'en_US',
		'page'       => array(),
		'webhooks'   => array(),
		'webhooks_deleted' => array(),
		'rest_routes' => array(),
		'current'    => array(),
		'textdomains' => array(),
	);
}

// --- hooks ----------------------------------------------------------------------------------------

function add_filter( $hook, $callback, $priority = 10, $accepted_args = 1 ) {
	$GLOBALS['wpstub']['filters'][ $hook ][ $priority ][] = array( $callback, $accepted_args );
	return true;
}

function add_action( $hook, $callback, $priority = 10, $accepted_args = 1 ) {
	return add_filter( $hook, $callback, $priority, $accepted_args );
}

function apply_filters( $hook, $value, ...$args ) {
	$by_priority = $GLOBALS['wpstub']['filters'][ $hook ] ?? array();
	ksort( $by_priority );
	foreach ( $by_priority as $callbacks ) {
		foreach ( $callbacks as list( $callback, $accepted ) ) {
			$value = call_user_func_array( $callback, array_slice( array_merge( array( $value ), $args ), 0, $accepted ) );
		}
	}
	return $value;
}

function do_action( $hook, ...$args ) {
	$GLOBALS['wpstub']['actions_run'][] = $hook;
	$GLOBALS['wpstub']['current'][]     = $hook;
	$by_priority = $GLOBALS['wpstub']['filters'][ $hook ] ?? array();
	ksort( $by_priority );
	try {
		foreach ( $by_priority as $callbacks ) {
			foreach ( $callbacks as list( $callback, $accepted ) ) {
				call_user_func_array( $callback, array_slice( $args, 0, $accepted ) );
			}
		}
	} finally {
		array_pop( $GLOBALS['wpstub']['current'] );
	}
}

/** How many times the action has run, as WordPress counts. */
function did_action( $hook ) {
	return count( array_keys( $GLOBALS['wpstub']['actions_run'], $hook, true ) );
}

/** The action running now (innermost), or false. */
function current_filter() {
	return end( $GLOBALS['wpstub']['current'] );
}

/** Priority of $callback on $hook (any callback when null), or false. */
function has_filter( $hook, $callback = null ) {
	foreach ( $GLOBALS['wpstub']['filters'][ $hook ] ?? array() as $priority => $callbacks ) {
		foreach ( $callbacks as list( $registered ) ) {
			if ( null === $callback || $registered === $callback ) {
				return $priority;
			}
		}
	}
	return false;
}

function has_action( $hook, $callback = null ) {
	return has_filter( $hook, $callback );
}

// --- options and transients ----------------------------------------------------------------------

function get_option( $name, $default_value = false ) {
	return array_key_exists( $name, $GLOBALS['wpstub']['options'] ) ? $GLOBALS['wpstub']['options'][ $name ] : $default_value;
}

function update_option( $name, $value, $autoload = null ) {
	$GLOBALS['wpstub']['options'][ $name ]  = $value;
	$GLOBALS['wpstub']['autoload'][ $name ] = $autoload;
	return true;
}

function delete_option( $name ) {
	$existed = array_key_exists( $name, $GLOBALS['wpstub']['options'] );
	unset( $GLOBALS['wpstub']['options'][ $name ], $GLOBALS['wpstub']['autoload'][ $name ] );
	return $existed;
}

function get_transient( $name ) {
	return $GLOBALS['wpstub']['transients'][ $name ][0] ?? false;
}

function set_transient( $name, $value, $expiration = 0 ) {
	$GLOBALS['wpstub']['transients'][ $name ] = array( $value, $expiration );
	return true;
}

function delete_transient( $name ) {
	unset( $GLOBALS['wpstub']['transients'][ $name ] );
	return true;
}

// --- users, nonces, requests ---------------------------------------------------------------------

function current_user_can( $capability, ...$args ) {
	return ! empty( $GLOBALS['wpstub']['caps'][ $capability ] );
}

function wp_create_nonce( $action = -1 ) {
	return substr( hash_hmac( 'sha256', $action . '|' . $GLOBALS['wpstub']['user_id'], 'wpstub-nonce-salt' ), 0, 10 );
}

function wp_verify_nonce( $nonce, $action = -1 ) {
	return is_string( $nonce ) && '' !== $nonce && hash_equals( wp_create_nonce( $action ), $nonce ) ? 1 : false;
}

function wp_nonce_field( $action = -1, $name = '_wpnonce', $referer = true, $display = true ) {
	$field = '<input type="hidden" id="' . esc_attr( $name ) . '" name="' . esc_attr( $name ) . '" value="' . wp_create_nonce( $action ) . '" />';
	if ( $referer ) {
		$field .= '<input type="hidden" name="_wp_http_referer" value="/wp-admin/admin.php?page=aftercare" />';
	}
	if ( $display ) {
		echo $field;
	}
	return $field;
}

/** As WordPress: a missing or wrong nonce ends the request with 403 ("The link you followed has expired."). */
function check_admin_referer( $action = -1, $query_arg = '_wpnonce' ) {
	$result = wp_verify_nonce( $_REQUEST[ $query_arg ] ?? '', $action );
	if ( ! $result ) {
		wp_die( 'The link you followed has expired.', '', array( 'response' => 403 ) );
	}
	return $result;
}

function wp_die( $message = '', $title = '', $args = array() ) {
	throw new WPStub_Die( (string) $message, (int) ( $args['response'] ?? 500 ) );
}

function wp_redirect( $location, $status = 302, $x_redirect_by = 'WordPress' ) {
	$GLOBALS['wpstub']['redirects'][] = $location;
	throw new WPStub_Redirect( $location, $status );
}

/** As WordPress: a location on another host becomes admin_url(). */
function wp_safe_redirect( $location, $status = 302, $x_redirect_by = 'WordPress' ) {
	$home = wp_parse_url( home_url() );
	$to   = wp_parse_url( $location );
	if ( ! isset( $to['host'] ) || $to['host'] !== $home['host'] ) {
		$location = admin_url();
	}
	wp_redirect( $location, $status, $x_redirect_by );
}

// --- HTTP ------------------------------------------------------------------------------------------

/** Scripts the next HTTP answer: a status and a body (array = JSON), or a WP_Error when $status is null. */
function wpstub_respond( ?int $status, $body = array() ): void {
	$GLOBALS['wpstub']['responses'][] = null === $status
		? new WP_Error( 'http_request_failed', (string) $body )
		: array(
			'response' => array( 'code' => $status ),
			'body'     => is_string( $body ) ? $body : json_encode( $body ),
		);
}

function wpstub_http( string $method, string $url, array $args ) {
	$GLOBALS['wpstub']['requests'][] = array( 'method' => $method, 'url' => $url, 'args' => $args );
	$next = array_shift( $GLOBALS['wpstub']['responses'] );
	return null === $next ? new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' ) : $next;
}

function wp_remote_post( $url, $args = array() ) {
	return wpstub_http( 'POST', $url, $args );
}

function wp_remote_get( $url, $args = array() ) {
	return wpstub_http( 'GET', $url, $args );
}

function wp_remote_retrieve_response_code( $response ) {
	return is_wp_error( $response ) || ! isset( $response['response']['code'] ) ? '' : $response['response']['code'];
}

function wp_remote_retrieve_body( $response ) {
	return is_wp_error( $response ) || ! isset( $response['body'] ) ? '' : $response['body'];
}

function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}

function wp_json_encode( $data, $options = 0, $depth = 512 ) {
	return json_encode( $data, $options, $depth );
}

// --- the REST API (register_rest_route, WP_REST_Request, WP_REST_Response) ---------------------------------

function register_rest_route( $route_namespace, $route, $args = array(), $override = false ) {
	$GLOBALS['wpstub']['rest_routes'][ '/' . trim( $route_namespace, '/' ) . $route ] = $args;
	return true;
}

function __return_true() {
	return true;
}

class WP_REST_Request {
	/** @var array */
	private $params;
	public function __construct( array $params = array() ) {
		$this->params = $params;
	}
	public function get_param( $key ) {
		return $this->params[ $key ] ?? null;
	}
}

class WP_REST_Response {
	/** @var mixed */
	public $data;
	/** @var int */
	public $status;
	/** @var array */
	public $headers = array();
	public function __construct( $data = null, $status = 200, $headers = array() ) {
		$this->data    = $data;
		$this->status  = $status;
		$this->headers = $headers;
	}
	public function header( $key, $value, $replace = true ) {
		$this->headers[ $key ] = $value;
	}
	public function get_data() {
		return $this->data;
	}
	public function get_status() {
		return $this->status;
	}
}

/** Calls a registered route as WordPress's REST server does (permission first); the response or WP_Error. */
function wpstub_rest_get( string $route, array $params ) {
	do_action( 'rest_api_init' );
	$args = $GLOBALS['wpstub']['rest_routes'][ $route ] ?? null;
	if ( null === $args ) {
		return new WP_Error( 'rest_no_route', 'No route was found', array( 'status' => 404 ) );
	}
	$request = new WP_REST_Request( $params );
	if ( true !== call_user_func( $args['permission_callback'], $request ) ) {
		return new WP_Error( 'rest_forbidden', 'Sorry, you are not allowed to do that.', array( 'status' => 401 ) );
	}
	return call_user_func( $args['callback'], $request );
}

// --- URLs, locale, admin ---------------------------------------------------------------------------

function home_url( $path = '' ) {
	return WPSTUB_HOME . ( '' === $path ? '' : '/' . ltrim( $path, '/' ) );
}

function admin_url( $path = '' ) {
	return WPSTUB_HOME . '/wp-admin/' . ltrim( $path, '/' );
}

function wp_parse_url( $url, $component = -1 ) {
	return parse_url( $url, $component );
}

function untrailingslashit( $value ) {
	return rtrim( $value, '/\\' );
}

function determine_locale() {
	return $GLOBALS['wpstub']['locale'];
}

function add_submenu_page( $parent_slug, $page_title, $menu_title, $capability, $menu_slug, $callback = '', $position = null ) {
	$GLOBALS['wpstub']['menu'][] = compact( 'parent_slug', 'page_title', 'menu_title', 'capability', 'menu_slug', 'callback' );
	return $parent_slug . '_page_' . $menu_slug;
}

function wp_enqueue_script( $handle, $src = '', $deps = array(), $ver = false, $args = array() ) {
	$GLOBALS['wpstub']['scripts'][ $handle ] = compact( 'src', 'deps', 'ver', 'args' );
}

function is_product() {
	return 'product' === ( $GLOBALS['wpstub']['page']['type'] ?? '' );
}

function is_cart() {
	return 'cart' === ( $GLOBALS['wpstub']['page']['type'] ?? '' );
}

function is_wc_endpoint_url( $endpoint = false ) {
	return $endpoint === ( $GLOBALS['wpstub']['page']['endpoint'] ?? null );
}

// --- translation and escaping (WordPress's semantics) ----------------------------------------------

/**
 * Every translation call in this process: the function, the domain, the text, the action running and whether
 * init had run. Kept across wpstub_reset() so the runner can check the whole run; WordPress 6.7 logs
 * "_load_textdomain_just_in_time was called incorrectly" for each call made before init.
 */
$GLOBALS['wpstub_translations'] = array();

function wpstub_translated( string $function, $text, $domain ) {
	$GLOBALS['wpstub_translations'][] = array(
		'function'   => $function,
		'domain'     => $domain,
		'text'       => $text,
		'action'     => current_filter(),
		'after_init' => did_action( 'init' ) > 0,
	);
	return $text;
}

/** The translation calls made before init (what WordPress 6.7 would log a notice for). */
function wpstub_translations_before_init(): array {
	return array_values( array_filter( $GLOBALS['wpstub_translations'], static function ( array $call ): bool {
		return ! $call['after_init'];
	} ) );
}

function __( $text, $domain = 'default' ) {
	return wpstub_translated( '__', $text, $domain );
}

function esc_html__( $text, $domain = 'default' ) {
	return esc_html( wpstub_translated( 'esc_html__', $text, $domain ) );
}

function _e( $text, $domain = 'default' ) {
	echo wpstub_translated( '_e', $text, $domain );
}

function esc_html_e( $text, $domain = 'default' ) {
	echo esc_html( wpstub_translated( 'esc_html_e', $text, $domain ) );
}

function esc_attr__( $text, $domain = 'default' ) {
	return esc_attr( wpstub_translated( 'esc_attr__', $text, $domain ) );
}

function _x( $text, $context, $domain = 'default' ) {
	return wpstub_translated( '_x', $text, $domain );
}

function _n( $single, $plural, $number, $domain = 'default' ) {
	return wpstub_translated( '_n', 1 === (int) $number ? $single : $plural, $domain );
}

/** Records the load with the action it ran on. */
function load_plugin_textdomain( $domain, $deprecated = false, $plugin_rel_path = false ) {
	$GLOBALS['wpstub']['textdomains'][] = array(
		'domain' => $domain,
		'path'   => $plugin_rel_path,
		'action' => current_filter(),
	);
	return true;
}

/** As WordPress: the path relative to the plugins directory (here: the plugin's folder and file). */
function plugin_basename( $file ) {
	return basename( dirname( $file ) ) . '/' . basename( $file );
}

/** WordPress's _wp_specialchars( ENT_QUOTES ) without double-encoding; invalid UTF-8 becomes ''. */
function wpstub_specialchars( $text ) {
	$text = (string) $text;
	if ( '' === $text || ! preg_match( '//u', $text ) ) {
		return '';
	}
	return htmlspecialchars( $text, ENT_QUOTES, 'UTF-8', false );
}

function esc_html( $text ) {
	return wpstub_specialchars( $text );
}

function esc_attr( $text ) {
	return wpstub_specialchars( $text );
}

function wp_allowed_protocols() {
	return array( 'http', 'https', 'ftp', 'ftps', 'mailto', 'news', 'irc', 'irc6', 'ircs', 'gopher', 'nntp', 'feed', 'telnet', 'mms', 'rtsp', 'sms', 'svn', 'tel', 'fax', 'xmpp', 'webcal', 'urn' );
}

/** WordPress's esc_url(): strips characters a URL cannot hold, refuses unknown protocols. */
function esc_url( $url, $protocols = null, $_context = 'display' ) {
	$url = str_replace( ' ', '%20', ltrim( (string) $url ) );
	$url = preg_replace( '|[^a-z0-9-~+_.?#=!&;,/:%@$\|*\'()\[\]\\x80-\\xff]|i', '', $url );
	if ( '' === $url ) {
		return '';
	}
	$url = str_ireplace( array( '%0d', '%0a' ), '', $url );
	$url = str_replace( ';//', '://', $url );
	if ( false === strpos( $url, ':' ) && ! in_array( $url[0], array( '/', '#', '?' ), true ) ) {
		$url = 'http://' . $url;
	}
	if ( 'display' === $_context ) {
		$url = preg_replace( '/&(?![a-zA-Z][a-zA-Z0-9]*;|#[0-9]+;|#x[0-9a-fA-F]+;)/', '&amp;', $url );
		$url = str_replace( array( '&amp;', "'" ), array( '&#038;', '&#039;' ), $url );
	}
	if ( '/' !== $url[0] && preg_match( '/^([^:\/?#]+):/', $url, $scheme ) ) {
		if ( ! in_array( strtolower( $scheme[1] ), is_array( $protocols ) ? $protocols : wp_allowed_protocols(), true ) ) {
			return '';
		}
	}
	return $url;
}

function esc_url_raw( $url, $protocols = null ) {
	return esc_url( $url, $protocols, 'db' );
}

function sanitize_text_field( $str ) {
	$str = wp_strip_all_tags_stub( (string) $str );
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', $str ) );
}

function wp_strip_all_tags_stub( string $text ): string {
	return strip_tags( preg_replace( '@<(script|style)[^>]*?>.*?</\\1>@si', '', $text ) );
}

function sanitize_key( $key ) {
	return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) );
}

function absint( $maybeint ) {
	return abs( (int) $maybeint );
}

function wp_unslash( $value ) {
	return is_array( $value ) ? array_map( 'wp_unslash', $value ) : ( is_string( $value ) ? stripslashes( $value ) : $value );
}

function checked( $checked, $current = true, $display = true ) {
	$result = (string) $checked === (string) $current ? " checked='checked'" : '';
	if ( $display ) {
		echo $result;
	}
	return $result;
}
