<?php
/**
 * Talks to the Aftercare service, server to server.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * The service could not be reached or answered with something that is not JSON.
 */
class Aftercare_Service_Unreachable extends RuntimeException {
}

/**
 * JSON requests to the service; signed ones carry the X-Aftercare-* headers.
 */
class Aftercare_Client {

	const TIMEOUT = 15;

	/**
	 * POSTs JSON without a signature (connect, claim).
	 *
	 * @param string       $path Path below the service URL, e.g. "/woocommerce/connect".
	 * @param array|object $body JSON body.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Service_Unreachable When the request fails.
	 */
	public static function post( string $path, $body ): array {
		$headers = array( 'Content-Type' => 'application/json' );
		return self::send( 'POST', $path, $headers, (string) wp_json_encode( $body ) );
	}

	/**
	 * POSTs JSON signed with the store's link secret (disconnect, privacy).
	 *
	 * @param string       $path Path below the service URL.
	 * @param array|object $body JSON body.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Service_Unreachable When the request fails.
	 */
	public static function post_signed( string $path, $body ): array {
		$raw     = (string) wp_json_encode( $body );
		$headers = Aftercare_Signer::request_headers( Aftercare_Options::shop_id(), Aftercare_Options::link_secret(), time(), $raw );
		return self::send( 'POST', $path, $headers, $raw );
	}

	/**
	 * GETs JSON.
	 *
	 * @param string $path    Path below the service URL.
	 * @param int    $timeout Seconds.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Service_Unreachable When the request fails.
	 */
	public static function get( string $path, int $timeout = self::TIMEOUT ): array {
		$response = wp_remote_get( Aftercare_Options::app_url() . $path, self::args( array(), $timeout ) );
		return self::decode( $response );
	}

	/**
	 * Sends one request.
	 *
	 * @param string $method  HTTP method.
	 * @param string $path    Path below the service URL.
	 * @param array  $headers Headers.
	 * @param string $raw     Body.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Service_Unreachable When the request fails.
	 */
	private static function send( string $method, string $path, array $headers, string $raw ): array {
		$args = self::args( $headers, self::TIMEOUT ) + array(
			'method' => $method,
			'body'   => $raw,
		);
		return self::decode( wp_remote_post( Aftercare_Options::app_url() . $path, $args ) );
	}

	/**
	 * Request arguments shared by every call; private and loopback addresses are refused.
	 *
	 * @param array $headers Headers.
	 * @param int   $timeout Seconds.
	 * @return array
	 */
	private static function args( array $headers, int $timeout ): array {
		return array(
			'headers'            => $headers,
			'timeout'            => $timeout,
			'redirection'        => 0,
			'reject_unsafe_urls' => true,
		);
	}

	/**
	 * Status code and decoded JSON object of a response.
	 *
	 * @param array|WP_Error $response What wp_remote_* returned.
	 * @return array{status: int, data: array}
	 * @throws Aftercare_Service_Unreachable When the request failed or a success body is not JSON (an empty one is fine).
	 */
	private static function decode( $response ): array {
		if ( is_wp_error( $response ) ) {
			throw new Aftercare_Service_Unreachable( esc_html( $response->get_error_message() ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$body   = trim( (string) wp_remote_retrieve_body( $response ) );
		$data   = json_decode( $body, true );
		if ( $status >= 200 && $status < 300 && '' !== $body && ! is_array( $data ) ) {
			throw new Aftercare_Service_Unreachable( 'The Aftercare service did not answer with JSON.' );
		}
		return array(
			'status' => $status,
			'data'   => is_array( $data ) ? $data : array(),
		);
	}
}
