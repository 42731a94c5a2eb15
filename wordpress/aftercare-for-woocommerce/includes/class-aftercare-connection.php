<?php
/**
 * Connecting, opening and disconnecting: the admin-post actions and the return from WooCommerce.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * An action could not be completed; the code names the notice to show.
 */
class Aftercare_Action_Failed extends RuntimeException {
}

/**
 * The connection's life cycle.
 */
class Aftercare_Connection {

	const CAPABILITY    = 'manage_woocommerce';
	const CLAIM_OUTCOME = array(
		200 => 'store_claim',
		409 => 'connecting',
		404 => 'expired',
	);
	/**
	 * Why the service ended a connection (its claim's 404 "reason") => the notice to show.
	 */
	const ENDED_NOTICE = array(
		'keys_refused'    => 'keys_refused',
		'not_woocommerce' => 'keys_refused',
	);

	/**
	 * Hooks the admin-post actions.
	 */
	public function register(): void {
		add_action( 'admin_post_aftercare_connect', array( $this, 'handle_connect' ) );
		add_action( 'admin_post_aftercare_open', array( $this, 'handle_open' ) );
		add_action( 'admin_post_aftercare_disconnect', array( $this, 'handle_disconnect' ) );
	}

	/**
	 * The settings page's URL, optionally with a notice code.
	 *
	 * @param string $notice Notice code.
	 * @return string
	 */
	public static function settings_url( string $notice = '' ): string {
		$url = admin_url( 'admin.php?page=aftercare' );
		return '' === $notice ? $url : $url . '&aftercare_notice=' . rawurlencode( $notice );
	}

	/**
	 * Refuses the request unless the user may manage WooCommerce and the nonce is right.
	 *
	 * @param string $action Nonce action.
	 */
	public static function guard( string $action ): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage Aftercare.', 'aftercare' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
	}

	/**
	 * POST admin-post.php?action=aftercare_connect: off to WooCommerce's authorization screen.
	 */
	public function handle_connect(): void {
		self::guard( 'aftercare_connect' );
		try {
			$authorize_url = $this->start();
		} catch ( Aftercare_Action_Failed $failure ) {
			self::back( $failure->getMessage() );
		}
		wp_redirect( $authorize_url ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect -- the store's own /wc-auth/v1/authorize, checked in start().
		exit;
	}

	/**
	 * Asks the service for a connection, handing it a random proof this site keeps and shows back at
	 * /wp-json/aftercare/v1/connect-proof (Aftercare_Connect_Proof), so only this site can claim it;
	 * remembers the claim; returns WooCommerce's authorize URL.
	 *
	 * @return string
	 * @throws Aftercare_Action_Failed When the URL is unusable or the service says no.
	 */
	public function start(): string {
		if ( ! Aftercare_Options::is_https_url( Aftercare_Options::app_url() ) ) {
			throw new Aftercare_Action_Failed( 'url_not_https' );
		}
		$site_proof = bin2hex( random_bytes( 24 ) );
		$body       = array(
			'store_url'  => home_url( '/' ),
			'return_url' => self::settings_url(),
			'site_proof' => $site_proof,
		);
		$answer     = self::call( 'post', '/woocommerce/connect', $body );
		$data       = $answer['data'];
		if ( 200 !== $answer['status'] || ! self::is_started( $data ) ) {
			throw new Aftercare_Action_Failed( 'connect_failed' );
		}
		Aftercare_Options::save_pending( (string) $data['connect_id'], (string) $data['claim_secret'], $site_proof );
		return (string) $data['authorize_url'];
	}

	/**
	 * Whether the service's answer to connect is complete and points at this store.
	 *
	 * @param array $data Decoded answer.
	 * @return bool
	 */
	private static function is_started( array $data ): bool {
		foreach ( array( 'authorize_url', 'connect_id', 'claim_secret' ) as $field ) {
			if ( ! isset( $data[ $field ] ) || ! is_string( $data[ $field ] ) || '' === $data[ $field ] ) {
				return false;
			}
		}
		return 0 === strpos( $data['authorize_url'], home_url( '/' ) );
	}

	/**
	 * The merchant is back from WooCommerce (?success=&user_id=); returns the notice code to show.
	 *
	 * @param array $query The page's query arguments.
	 * @return string
	 */
	public function finish( array $query ): string {
		if ( ! isset( $query['success'] ) ) {
			return '';
		}
		$pending = Aftercare_Options::pending();
		$user_id = is_string( $query['user_id'] ?? null ) ? sanitize_text_field( wp_unslash( $query['user_id'] ) ) : '';
		if ( null === $pending || ! hash_equals( $pending['connect_id'], $user_id ) ) {
			return Aftercare_Options::is_connected() ? 'connected' : 'connect_mismatch';
		}
		if ( '1' !== $query['success'] ) {
			delete_option( Aftercare_Options::PENDING );
			return 'access_denied';
		}
		Aftercare_Options::mark_returned();
		return $this->claim( $pending );
	}

	/**
	 * A later load of the settings page while the service checks the keys: claims once more. Returns the
	 * notice code ('' while it is still checking, or when nothing is waiting).
	 *
	 * @return string
	 */
	public function resume(): string {
		$pending = Aftercare_Options::pending();
		if ( null === $pending || ! $pending['returned'] || Aftercare_Options::is_connected() ) {
			return '';
		}
		return $this->claim( $pending );
	}

	/**
	 * Claims the connection once. The service answers 409 while WooCommerce's callback has not arrived or the
	 * keys and this site's proof are being checked: the page then says it is connecting and asks again later
	 * (never waiting here: a store that serves one request at a time must be free to answer the check).
	 *
	 * @param array{connect_id: string, claim_secret: string, site_proof: string, returned: bool} $pending The started connection.
	 * @return string Notice code.
	 */
	private function claim( array $pending ): string {
		$body = array(
			'connect_id'   => $pending['connect_id'],
			'claim_secret' => $pending['claim_secret'],
		);
		try {
			$answer = self::call( 'post', '/woocommerce/claim', $body );
		} catch ( Aftercare_Action_Failed $failure ) {
			return $failure->getMessage();
		}
		$outcome = self::CLAIM_OUTCOME[ $answer['status'] ] ?? 'service_unreachable';
		if ( 'store_claim' === $outcome ) {
			return $this->store_claim( $answer['data'] );
		}
		if ( 'expired' === $outcome ) {
			delete_option( Aftercare_Options::PENDING );
			return self::ended_notice( $answer['data'] );
		}
		return 'connecting' === $outcome ? '' : $outcome;
	}

	/**
	 * The notice for a connection the service no longer has: ended by its checks (and why), or expired.
	 *
	 * @param array $data The claim's 404 answer.
	 * @return string Notice code.
	 */
	private static function ended_notice( array $data ): string {
		if ( 'ended' !== ( $data['status'] ?? '' ) ) {
			return 'expired';
		}
		$reason = is_string( $data['reason'] ?? null ) ? $data['reason'] : '';
		return self::ENDED_NOTICE[ $reason ] ?? 'connection_ended';
	}

	/**
	 * Stores the claimed connection.
	 *
	 * @param array $data {"status", "shop_id", "link_secret", "key_id", "app_url"}.
	 * @return string Notice code ("awaiting_approval" while the service's operator has not let the store start).
	 */
	private function store_claim( array $data ): string {
		$shop_id = isset( $data['shop_id'] ) && is_int( $data['shop_id'] ) ? $data['shop_id'] : 0;
		$secret  = isset( $data['link_secret'] ) && is_string( $data['link_secret'] ) ? $data['link_secret'] : '';
		if ( $shop_id <= 0 || '' === $secret ) {
			return 'connect_failed';
		}
		Aftercare_Options::save_connection( $shop_id, $secret, absint( $data['key_id'] ?? 0 ) );
		$app_url = isset( $data['app_url'] ) && is_string( $data['app_url'] ) ? esc_url_raw( $data['app_url'] ) : '';
		if ( Aftercare_Options::is_https_url( $app_url ) ) {
			update_option( Aftercare_Options::APP_URL, untrailingslashit( $app_url ) );
		}
		return 'pending_approval' === ( $data['status'] ?? '' ) ? 'awaiting_approval' : 'connected';
	}

	/**
	 * POST admin-post.php?action=aftercare_open: to the service's admin through a freshly signed link.
	 */
	public function handle_open(): void {
		self::guard( 'aftercare_open' );
		if ( ! Aftercare_Options::is_connected() ) {
			self::back( 'not_connected' );
		}
		wp_redirect( $this->admin_link() ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect -- the connected Aftercare service.
		exit;
	}

	/**
	 * A signed link to the service's admin, valid for a short while.
	 *
	 * @return string
	 */
	public function admin_link(): string {
		return Aftercare_Signer::admin_link(
			Aftercare_Options::app_url(),
			Aftercare_Options::shop_id(),
			Aftercare_Options::link_secret(),
			time(),
			Aftercare_Signer::new_nonce()
		);
	}

	/**
	 * POST admin-post.php?action=aftercare_disconnect (with the confirmation box ticked).
	 */
	public function handle_disconnect(): void {
		self::guard( 'aftercare_disconnect' );
		if ( empty( $_POST['aftercare_confirm'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified in guard().
			self::back( 'confirm_disconnect' );
		}
		self::back( Aftercare_Options::is_connected() ? $this->disconnect() : 'not_connected' );
	}

	/**
	 * Tells the service, revokes the REST key and forgets the connection; works offline too.
	 *
	 * @return string Notice code.
	 */
	public function disconnect(): string {
		$told = $this->tell_service();
		if ( ! $told ) {
			$this->remove_webhooks_locally();
		}
		$this->revoke_key( Aftercare_Options::key_id() );
		Aftercare_Options::forget_connection();
		return $told ? 'disconnected' : 'disconnected_offline';
	}

	/**
	 * Signed POST {app}/woocommerce/disconnect with body {}; whether the service confirmed.
	 *
	 * @return bool
	 */
	private function tell_service(): bool {
		try {
			$answer = self::call( 'post_signed', '/woocommerce/disconnect', new stdClass() );
		} catch ( Aftercare_Action_Failed $failure ) {
			return false;
		}
		return $answer['status'] >= 200 && $answer['status'] < 300;
	}

	/**
	 * The service could not remove its webhooks: delete the ones that deliver to it, so they stop firing.
	 */
	private function remove_webhooks_locally(): void {
		if ( ! class_exists( 'WC_Data_Store' ) || ! function_exists( 'wc_get_webhook' ) ) {
			return;
		}
		$prefix = Aftercare_Options::app_url() . '/webhooks/woocommerce/';
		foreach ( WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) ) as $webhook_id ) {
			$webhook = wc_get_webhook( $webhook_id );
			if ( $webhook && 0 === strpos( $webhook->get_delivery_url(), $prefix ) ) {
				$webhook->delete( true );
			}
		}
	}

	/**
	 * Deletes the WooCommerce REST key the service was given.
	 *
	 * @param int $key_id Key id (0: nothing to do).
	 */
	private function revoke_key( int $key_id ): void {
		global $wpdb;
		if ( $key_id > 0 ) {
			$wpdb->delete( "{$wpdb->prefix}woocommerce_api_keys", array( 'key_id' => $key_id ), array( '%d' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WooCommerce keeps keys in its own table.
		}
	}

	/**
	 * One client call; an unreachable service becomes the "service_unreachable" failure.
	 *
	 * @param string       $method Aftercare_Client method.
	 * @param string       $path   Path below the service URL.
	 * @param array|object $body   JSON body.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Action_Failed When the service cannot be reached.
	 */
	private static function call( string $method, string $path, $body ): array {
		try {
			return call_user_func( array( 'Aftercare_Client', $method ), $path, $body );
		} catch ( Aftercare_Service_Unreachable $error ) {
			throw new Aftercare_Action_Failed( 'service_unreachable' );
		}
	}

	/**
	 * Back to the settings page with a notice.
	 *
	 * @param string $notice Notice code.
	 */
	public static function back( string $notice ): void {
		wp_safe_redirect( self::settings_url( $notice ) );
		exit;
	}
}
